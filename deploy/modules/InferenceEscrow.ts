import { suiteModule } from "../suite.js";

/** The escrow. `paymentToken` is an existing ERC-20 (on local chains the deploy script deploys MockUSD first).
 * Built from the suite's one wiring plan (deploy/suite.ts), which `deploySuite` runs too.
 */
export default suiteModule("InferenceEscrow");
