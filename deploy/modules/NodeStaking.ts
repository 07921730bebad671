import { suiteModule } from "../suite.js";

/** Node stake in the VeritasToken, owned by the timelock. The escrow is bound by the Veritas module.
 * Built from the suite's one wiring plan (deploy/suite.ts), which `deploySuite` runs too.
 */
export default suiteModule("NodeStaking");
