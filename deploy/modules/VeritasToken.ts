import { suiteModule } from "../suite.js";

/** The staking token: a fixed supply minted once to `holder`.
 * Built from the suite's one wiring plan (deploy/suite.ts), which `deploySuite` runs too.
 */
export default suiteModule("VeritasToken");
