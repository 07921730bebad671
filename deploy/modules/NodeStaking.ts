import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import Governance from "./Governance.js";
import VeritasToken from "./VeritasToken.js";

/** Node stake in the VeritasToken, owned by the timelock. The escrow is bound by the Veritas module. */
export default buildModule("NodeStaking", (m) => {
  const { timelock } = m.useModule(Governance);
  const { token } = m.useModule(VeritasToken);
  const minStake = m.getParameter("minStake", 1_000n * 10n ** 18n);
  const unbondingPeriod = m.getParameter("unbondingPeriod", 14n * 24n * 3600n);
  const treasury = m.getParameter("treasury", m.getAccount(0));
  const staking = m.contract("NodeStaking", [token, minStake, unbondingPeriod, treasury, timelock]);
  return { staking };
});
