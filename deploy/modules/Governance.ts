import { suiteModule } from "../suite.js";

/** The timelock that owns every Veritas contract. Proposals by `governor`; anyone executes once the delay passed.
 * Built from the suite's one wiring plan (deploy/suite.ts), which `deploySuite` runs too.
 */
export default suiteModule("Governance");
