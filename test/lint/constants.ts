import { expect } from "chai";
import path from "node:path";
import { evaluate, render } from "../../scripts/gen-constants.js";
import { ROOT } from "../../deploy/deployment.js";
import * as protocol from "../../src/protocol.js";
import { JobStatus, Mode, Ruling } from "../../src/constants.js";
import { runCaptured } from "../helpers/rpc-node.js";
import { describeOffChain } from "../helpers/offchain.js";

describeOffChain(
  "src/protocol.ts, generated from ConstantsLib.sol and the interfaces' enums (scripts/gen-constants.ts)",
  function () {
    it("is current: `npm run gen:constants -- --check` passes", async function () {
      const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
      const r = await runCaptured(tsx, [path.join(ROOT, "scripts", "gen-constants.ts"), "--check"], {});
      expect(r.stderr).to.equal("");
      expect(r.stdout.trim()).to.equal("gen-constants: src/protocol.ts is current");
      expect(r.code).to.equal(0);
    });

    it("reads Solidity expressions: underscores, time units, earlier constants, precedence", function () {
      const known = new Map([["A", 2n]]);
      expect(evaluate("10_000", known)).to.equal(10_000n);
      expect(evaluate("7 days", known)).to.equal(604_800n);
      expect(evaluate("1 minutes + 3 hours", known)).to.equal(60n + 10_800n);
      expect(evaluate("A + 3 * (A + 1) - 4 / A", known)).to.equal(9n);
      expect(() => evaluate("B + 1", known)).to.throw("`B` in `B + 1` is not an earlier constant");
      expect(() => evaluate("1 << 3", known)).to.throw("cannot read the expression `1 << 3`");
    });

    it("has every constant of ConstantsLib.sol with its value, and the SDK's views follow it", async function () {
      const text = await render();
      expect(text.match(/^export const \w+ = \d[\d_]*n;/gm)).to.have.length(24);
      expect(protocol.MIN_UNBONDING_PERIOD_SECONDS).to.equal(
        protocol.MAX_CHALLENGE_WINDOW_SECONDS + protocol.MAX_ARBITRATION_PERIOD_SECONDS + protocol.EXIT_BUFFER_SECONDS,
      );
      expect(protocol.MAX_REQUEST_LIFETIME_SECONDS).to.equal(30n * 24n * 3600n);
      expect(protocol.CANCEL_GRACE_PERIOD_SECONDS).to.equal(600n);
      expect(Mode).to.deep.equal({ TEE: 1, ZK: 2, OPTIMISTIC: 3 });
      expect(JobStatus.Refunded).to.equal(8);
      expect(protocol.JOB_STATUS_NAMES[JobStatus.Disputed]).to.equal("Disputed");
      expect(Ruling).to.deep.equal({ NodeRight: 0, NodeWrong: 1, Draw: 2 });
    });
  },
);
