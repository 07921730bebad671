import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import DisputeManager from "./DisputeManager.js";
import Governance from "./Governance.js";
import InferenceEscrow from "./InferenceEscrow.js";
import ModelRegistry from "./ModelRegistry.js";
import NodeStaking from "./NodeStaking.js";
import TeeRegistry from "./TeeRegistry.js";
import TeeResultVerifier from "./TeeResultVerifier.js";
import VeritasToken from "./VeritasToken.js";
import ZkResultVerifier from "./ZkResultVerifier.js";

/** The whole suite, wired: binds the escrow into staking and the dispute manager into the escrow and the TEE
 * registry (each once, from the deployer). */
export default buildModule("Veritas", (m) => {
  const { timelock } = m.useModule(Governance);
  const { token } = m.useModule(VeritasToken);
  const { registry } = m.useModule(ModelRegistry);
  const { staking } = m.useModule(NodeStaking);
  const { attestation, tee } = m.useModule(TeeRegistry);
  const { teeVerifier } = m.useModule(TeeResultVerifier);
  const { zkVerifier } = m.useModule(ZkResultVerifier);
  const { escrow } = m.useModule(InferenceEscrow);
  const { disputes } = m.useModule(DisputeManager);
  m.call(staking, "bindEscrow", [escrow]);
  m.call(escrow, "bindDisputeManager", [disputes]);
  m.call(tee, "bindDisputeManager", [disputes]);
  return { timelock, token, registry, staking, attestation, tee, teeVerifier, zkVerifier, escrow, disputes };
});
