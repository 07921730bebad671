import { expect } from "chai";
import path from "node:path";
import { readFileSync } from "node:fs";
import { ROOT } from "../../deploy/deployment.js";
import { SUITE_BINDINGS, SUITE_STEPS } from "../../deploy/suite.js";
import { OUT, render } from "../../scripts/gen-wiring.js";
import { runCaptured } from "../helpers/rpc-node.js";
import { describeOffChain } from "../helpers/offchain.js";

describeOffChain("test/helpers/SuiteWiring.sol, generated from deploy/suite.ts (scripts/gen-wiring.ts)", function () {
  it("is current: `npm run gen:wiring -- --check` passes", async function () {
    const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
    const r = await runCaptured(tsx, [path.join(ROOT, "scripts", "gen-wiring.ts"), "--check"], {});
    expect(r.stderr).to.equal("");
    expect(r.stdout.trim()).to.equal("gen-wiring: test/helpers/SuiteWiring.sol is current");
    expect(r.code).to.equal(0);
    expect(await render()).to.equal(readFileSync(OUT, "utf8"));
  });

  it("deploys every part of the plan but the timelock, in the plan's order, then makes its bindings", async function () {
    const text = await render();
    const deployed = [...text.matchAll(/s\.(\w+) = _deploy\(\s*"(\w+)"/g)].map((m) => [m[1], m[2]]);
    expect(deployed).to.deep.equal(SUITE_STEPS.filter((s) => s.key !== "timelock").map((s) => [s.key, s.contract]));
    const binds = [...text.matchAll(/_bind\(\s*s\.(\w+),\s*"(\w+)\(address\)",\s*s\.(\w+)\s*\)/g)].map((m) => [
      m[1],
      m[2],
      m[3],
    ]);
    expect(binds).to.deep.equal(SUITE_BINDINGS.map((b) => [b.on, b.fn, b.to]));
    // The escrow's Config struct is written in its ABI's order (feeBps, collateralPerPaymentBps, paused, challengeWindow).
    expect(text).to.match(
      /p\.inferenceEscrowFeeBps,\s*p\.inferenceEscrowCollateralPerPaymentBps\s*\),\s*abi\.encode\(\s*false,\s*p\.inferenceEscrowChallengeWindow/,
    );
  });
});
