import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** The timelock that owns every Veritas contract. Proposals by `governor`; anyone executes once the delay passed. */
export default buildModule("Governance", (m) => {
  const minDelay = m.getParameter("minDelay", 3600n);
  const governor = m.getParameter("governor", m.getAccount(0));
  const timelock = m.contract("VeritasTimelock", [
    minDelay,
    [governor],
    ["0x0000000000000000000000000000000000000000"],
    "0x0000000000000000000000000000000000000000",
  ]);
  return { timelock };
});
