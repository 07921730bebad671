import { suiteModule } from "../suite.js";

/** TEE mode: enclave-signed results.
 * Built from the suite's one wiring plan (deploy/suite.ts), which `deploySuite` runs too.
 */
export default suiteModule("TeeResultVerifier");
