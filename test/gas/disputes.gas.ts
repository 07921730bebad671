import { expect } from "chai";
import { network } from "hardhat";
import {
  disputeFigures,
  enableTee,
  equivocationFigures,
  finalizeBatchFigures,
  optimisticFigures,
  cancelFigures,
  proofDisputeFigures,
  type Figures,
} from "../helpers/gas.js";
import { deployOptimisticFixture, trueOutput, type OptimisticFixture } from "../helpers/optimistic.js";

/**
 * Gas of the optimistic path and of disputes: the scenarios of `test/helpers/gas.ts` (shared with
 * `npm run bench:gas`, which prints every figure, compares it to `snapshots/gas.json` and to the targets). Asserts
 * only relations that must hold, never hard-coded figures.
 */
const { ethers, networkHelpers } = await network.create();
const fixture = () => deployOptimisticFixture(ethers, networkHelpers);
const BATCH = 50;

describe("Gas: optimistic results and disputes", function () {
  this.timeout(300_000);
  let f: OptimisticFixture;
  let TRUE: string;
  const all: Figures = {};

  before(async function () {
    TRUE = await trueOutput();
  });
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
  });
  after(function () {
    if (Object.keys(all).length === 0) return;
    console.log("");
    for (const [k, v] of Object.entries(all))
      console.log(`  ${k.padEnd(40)} ${v.toLocaleString("en-US").padStart(10)}`);
  });

  it("a proposal after its claim costs less than the claim (no collateral lock, one storage write)", async function () {
    const g = await optimisticFigures(f, TRUE);
    Object.assign(all, g);
    expect(g["optimistic.proposeAfterClaim"]).to.be.lessThan(g["optimistic.claim"]);
  });

  it("the two-step cancel refunds the job; the request costs a storage write, the cancel gets part of it back", async function () {
    const g = await cancelFigures(f);
    Object.assign(all, g);
    expect(g["cancel.cancel"]).to.be.lessThan(g["cancel.request"]);
  });

  it(`finalizeBatch of ${BATCH} costs less per job than a single finalize`, async function () {
    const single = (await optimisticFigures(f, TRUE))["optimistic.finalize"];
    const g = await finalizeBatchFigures(f, TRUE, BATCH);
    Object.assign(all, g);
    expect(g[`optimistic.finalizeBatch${BATCH}.perJob`]).to.be.lessThan(single);
  });

  it("challenge, arbitrate (node wrong; node right), resolveTimeout settle or refund", async function () {
    Object.assign(all, await disputeFigures(f, TRUE));
  });

  it("a node-wrong ruling by proof costs more than the same ruling by the arbitrator", async function () {
    const byProof = await proofDisputeFigures(f, TRUE);
    const arbitrated = await disputeFigures(f, TRUE);
    Object.assign(all, byProof);
    expect(byProof["dispute.byProof.nodeWrong"]).to.be.greaterThan(arbitrated["dispute.arbitrate.nodeWrong"]);
  });

  it("reportEquivocation revokes the key and slashes free stake, over single and batch signatures", async function () {
    const g = await equivocationFigures(f, await enableTee(f));
    Object.assign(all, g);
    // The batch form costs two extra verifier calls per signature and the leaves' calldata, not another storage write.
    expect(g["dispute.reportEquivocation.batch"]).to.be.lessThan(g["dispute.reportEquivocation"] + 30_000n);
  });
});
