import { suiteModule } from "../suite.js";

/** Enclave measurements and keys, with the signed-attestation verifier; both owned by the timelock.
 * Built from the suite's one wiring plan (deploy/suite.ts), which `deploySuite` runs too.
 */
export default suiteModule("TeeRegistry");
