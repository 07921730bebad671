import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** Models (ERC-721) and their immutable versions. No parameters, no owner. */
export default buildModule("ModelRegistry", (m) => {
  const registry = m.contract("ModelRegistry", []);
  return { registry };
});
