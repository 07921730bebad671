import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import Governance from "./Governance.js";
import ModelRegistry from "./ModelRegistry.js";
import NodeStaking from "./NodeStaking.js";
import TeeResultVerifier from "./TeeResultVerifier.js";
import ZkResultVerifier from "./ZkResultVerifier.js";

/** The escrow. `paymentToken` is an existing ERC-20 (on local chains the deploy script deploys MockUSD first). */
export default buildModule("InferenceEscrow", (m) => {
  const { timelock } = m.useModule(Governance);
  const { registry } = m.useModule(ModelRegistry);
  const { staking } = m.useModule(NodeStaking);
  const { teeVerifier } = m.useModule(TeeResultVerifier);
  const { zkVerifier } = m.useModule(ZkResultVerifier);
  const paymentToken = m.getParameter<string>("paymentToken");
  const treasury = m.getParameter("treasury", m.getAccount(0));
  const feeBps = m.getParameter("feeBps", 250);
  const collateralPerPaymentBps = m.getParameter("collateralPerPaymentBps", 20_000);
  const challengeWindow = m.getParameter("challengeWindow", 3600);
  const escrow = m.contract("InferenceEscrow", [
    paymentToken,
    registry,
    staking,
    treasury,
    teeVerifier,
    zkVerifier,
    { feeBps, collateralPerPaymentBps, paused: false, challengeWindow },
    timelock,
  ]);
  return { escrow };
});
