import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import ModelRegistry from "./ModelRegistry.js";
import TeeRegistry from "./TeeRegistry.js";

/** TEE mode: enclave-signed results. */
export default buildModule("TeeResultVerifier", (m) => {
  const { registry } = m.useModule(ModelRegistry);
  const { tee } = m.useModule(TeeRegistry);
  const teeVerifier = m.contract("TeeResultVerifier", [tee, registry]);
  return { teeVerifier };
});
