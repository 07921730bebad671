import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import ModelRegistry from "./ModelRegistry.js";

/** ZK mode: builds each job's public signals on chain and calls the version's pinned Groth16 verifier. */
export default buildModule("ZkResultVerifier", (m) => {
  const { registry } = m.useModule(ModelRegistry);
  const zkVerifier = m.contract("ZkResultVerifier", [registry]);
  return { zkVerifier };
});
