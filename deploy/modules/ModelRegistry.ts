import { suiteModule } from "../suite.js";

/** Models (ERC-721) and their immutable versions. No parameters, no owner.
 * Built from the suite's one wiring plan (deploy/suite.ts), which `deploySuite` runs too.
 */
export default suiteModule("ModelRegistry");
