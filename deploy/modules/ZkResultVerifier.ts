import { suiteModule } from "../suite.js";

/** ZK mode: builds each job's public signals on chain and calls the version's pinned Groth16 verifier.
 * Built from the suite's one wiring plan (deploy/suite.ts), which `deploySuite` runs too.
 */
export default suiteModule("ZkResultVerifier");
