import { expect } from "chai";
import { network } from "hardhat";
import { hexlify, toUtf8Bytes } from "ethers";
import { VeritasClient, VeritasJobError } from "../../src/client.js";
import { VeritasError } from "../../src/errors.js";
import { PAYMENT } from "../helpers/fixtures.js";
import { expectFinalizedVerification } from "../helpers/verification.js";
import { deployOptimisticFixture, type OptimisticFixture } from "../helpers/optimistic.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

async function fixture() {
  const f = await deployOptimisticFixture(ethers, networkHelpers);
  const client = await VeritasClient.connect(f.requester, {
    addresses: { escrow: await f.escrow.getAddress() },
    pollInterval: 10,
  });
  return { ...f, client };
}

describe("VeritasClient with optimistic jobs (proposals, finalize, disputes)", function () {
  let f: OptimisticFixture & { client: VeritasClient };
  const OUTPUT = hexlify(toUtf8Bytes("label=0"));
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
  });

  it("getJob shows the proposal; finalize refuses inside the window; waitForResult({ finalize }) settles it after", async function () {
    const { jobId, job } = await f.requestOptimistic(f.plainVersion);
    const { claim, proposal } = await f.propose(job, OUTPUT);
    const info = await f.client.getJob(jobId);
    expect(info.status).to.equal("Proposed");
    expect(info.claim).to.deep.equal(claim);
    expect(info.proposal).to.deep.equal({ ...proposal, node: f.node.address, output: OUTPUT });
    expect(info.job.challengeWindow).to.equal(job.challengeWindow);

    const early = await f.client.finalize(jobId).catch((e: unknown) => e);
    expect((early as VeritasError).message).to.equal(
      `ChallengeWindowOpen(jobId=${jobId}, challengeEnds=${proposal.challengeEnds})`,
    );
    // A proposal is no longer bound by the job's final deadline: past it, the wait goes on (here: times out).
    expect(proposal.challengeEnds).to.be.greaterThan(job.expiresAt + 1n);
    await time.increaseTo(job.expiresAt + 1n);
    expect(
      ((await f.client.waitForResult(jobId, { timeout: 100 }).catch((e: unknown) => e)) as VeritasJobError).code,
    ).to.equal("TIMEOUT");

    await time.increaseTo(proposal.challengeEnds);
    const result = await f.client.waitForVerifiedResult(jobId, { timeout: 10_000, finalize: true });
    expect(result).to.deep.include({ jobId, node: f.node.address, output: OUTPUT, mode: "OPTIMISTIC" });
    await expectFinalizedVerification(f.escrow, result, proposal.challengeEnds);
    expect((await f.client.getJob(jobId)).status).to.equal("Settled");
  });

  it("a disputed proposal shows its challenger; a NodeWrong ruling rejects waitForResult with the refund", async function () {
    const { jobId, job } = await f.requestOptimistic(f.plainVersion);
    const { claim, proposal } = await f.propose(job, OUTPUT);
    await f.disputes.connect(f.challenger).challenge(job, claim, proposal);
    const disputed = await f.client.getJob(jobId);
    expect(disputed.status).to.equal("Disputed");
    expect(disputed.challenger).to.equal(f.challenger.address);
    expect(disputed.proposal?.output).to.equal(OUTPUT);

    const waiting = f.client.waitForResult(jobId, { timeout: 10_000 }).catch((e: unknown) => e);
    await f.disputes.connect(f.governance).arbitrate(job, claim, proposal, false, "0x");
    const err = (await waiting) as VeritasJobError;
    expect(err).to.be.instanceOf(VeritasJobError);
    expect(err.code).to.equal("JOB_REFUNDED");
    expect(err.refund).to.equal(PAYMENT);
    expect(err.message).to.contain("NodeWrong");
    const refunded = await f.client.getJob(jobId);
    expect(refunded).to.deep.include({
      status: "Refunded",
      refund: PAYMENT,
      ruling: "NodeWrong",
      challenger: f.challenger.address,
    });
  });
});
