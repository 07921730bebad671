import { suiteModule } from "../suite.js";

/** The whole suite, wired: binds the escrow into staking and the dispute manager into the escrow and the TEE
 * registry (each once, from the deployer).
 * Built from the suite's one wiring plan (deploy/suite.ts), which `deploySuite` runs too.
 */
export default suiteModule("Veritas");
