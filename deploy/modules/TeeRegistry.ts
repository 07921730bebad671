import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import Governance from "./Governance.js";
import NodeStaking from "./NodeStaking.js";

/** Enclave measurements and keys, with the signed-attestation verifier; both owned by the timelock. */
export default buildModule("TeeRegistry", (m) => {
  const { timelock } = m.useModule(Governance);
  const { staking } = m.useModule(NodeStaking);
  const attestation = m.contract("SignedAttestationVerifier", [timelock]);
  const tee = m.contract("TeeRegistry", [staking, attestation, timelock]);
  return { attestation, tee };
});
