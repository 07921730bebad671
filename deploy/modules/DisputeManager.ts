import { suiteModule } from "../suite.js";

/** Challenges, bonds and equivocation reports, owned by the timelock. The arbitrator defaults to the deployer.
 * Built from the suite's one wiring plan (deploy/suite.ts), which `deploySuite` runs too.
 */
export default suiteModule("DisputeManager");
