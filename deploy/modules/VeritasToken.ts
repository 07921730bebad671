import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** The staking token: a fixed supply minted once to `holder`. */
export default buildModule("VeritasToken", (m) => {
  const holder = m.getParameter("holder", m.getAccount(0));
  const supply = m.getParameter("supply", 1_000_000_000n * 10n ** 18n);
  const token = m.contract("VeritasToken", [holder, supply]);
  return { token };
});
