import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import Governance from "./Governance.js";
import InferenceEscrow from "./InferenceEscrow.js";
import TeeRegistry from "./TeeRegistry.js";
import TeeResultVerifier from "./TeeResultVerifier.js";

/** Challenges, bonds and equivocation reports, owned by the timelock. The arbitrator defaults to the deployer. */
export default buildModule("DisputeManager", (m) => {
  const { timelock } = m.useModule(Governance);
  const { escrow } = m.useModule(InferenceEscrow);
  const { tee } = m.useModule(TeeRegistry);
  const { teeVerifier } = m.useModule(TeeResultVerifier);
  const params = {
    bond: m.getParameter("bond", 1_000_000n),
    arbitrationPeriod: m.getParameter("arbitrationPeriod", 24n * 3600n),
    challengerRewardBps: m.getParameter("challengerRewardBps", 5_000),
    arbitrator: m.getParameter("arbitrator", m.getAccount(0)),
    equivocationSlash: m.getParameter("equivocationSlash", 1_000n * 10n ** 18n),
  };
  const disputes = m.contract("DisputeManager", [escrow, tee, teeVerifier, params, timelock]);
  return { disputes };
});
