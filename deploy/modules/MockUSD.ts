import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** A test payment token for local chains (open mint: never on a public network). */
export default buildModule("MockUSD", (m) => {
  const usd = m.contract("MockUSD", []);
  return { usd };
});
