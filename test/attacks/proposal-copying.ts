import { expect } from "chai";
import { network } from "hardhat";
import { JobStatus } from "../helpers/constants.js";
import { claimOf, NO_CLAIM, proposalOf } from "../../src/jobs.js";
import { race, tip } from "../helpers/attacks.js";
import { split } from "../helpers/escrow.js";
import { deployOptimisticFixture, trueOutput, type OptimisticFixture } from "../helpers/optimistic.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const optimisticFixture = () => deployOptimisticFixture(ethers, networkHelpers);

/**
 * Issue 12, finding 2: "another node copies an optimistic proposal". Before the fix `proposeResult` with an all-zero
 * claim claimed an open job and proposed in one call, so any registered optimistic node could copy the output of a
 * pending proposal and send it with a higher tip: the output is true, nobody challenges, the copier is paid. The
 * first two tests below were run against the code before the fix and failed there (the copier's claim-and-propose won
 * and the author's reverted; a proposal without a claim was accepted). The fix binds a proposal to its author: claim first (`claim`, which reveals nothing),
 * then `proposeResult` by the claimer only; the direct-propose branch is gone.
 */
describe("attacks: copied optimistic proposal", function () {
  let f: OptimisticFixture;
  let TRUE: string;
  before(async function () {
    TRUE = await trueOutput();
  });
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(optimisticFixture);
  });

  it("copied optimistic proposal: a node that copies a pending proposal and tips more is refused; the author's proposal stands and is paid", async function () {
    const { jobId, job } = await f.requestOptimistic(f.plainVersion);
    // The old path (the reference node's default before the fix): claim-and-propose in one call, copied with a higher
    // tip. Neither lands now: there is no proposal without a claim.
    const [direct, copied] = await race(ethers, networkHelpers, [
      () => f.escrow.connect(f.node).proposeResult(job, NO_CLAIM, TRUE, tip(1n)),
      () => f.escrow.connect(f.node2).proposeResult(job, NO_CLAIM, TRUE, tip(50n)),
    ]);
    expect([direct, copied]).to.deep.equal([false, false]);
    expect(await f.escrow.lockedCollateral(f.node2.address)).to.equal(0n);
    // The path now: claim (reveals nothing), then propose; a copy of the pending proposal is refused.
    const claim = claimOf(f.escrow, (await (await f.escrow.connect(f.node).claim(job)).wait())!.logs);
    const [authored, copiedDirect, copiedWithClaim] = await race(ethers, networkHelpers, [
      () => f.escrow.connect(f.node).proposeResult(job, claim, TRUE, tip(1n)),
      () => f.escrow.connect(f.node2).proposeResult(job, NO_CLAIM, TRUE, tip(50n)),
      () => f.escrow.connect(f.node2).proposeResult(job, claim, TRUE, tip(40n)),
    ]);
    expect([authored, copiedDirect, copiedWithClaim]).to.deep.equal([true, false, false]);
    const [proposedLog] = await f.escrow.queryFilter(f.escrow.filters.ResultProposed(jobId));
    expect(proposedLog.args.node).to.equal(f.node.address);
    const proposal = { outputHash: proposedLog.args.outputHash, challengeEnds: proposedLog.args.challengeEnds };
    await time.increaseTo(proposal.challengeEnds);
    await f.escrow.connect(f.other).finalize(job, claim, proposal, TRUE);
    expect(await f.escrow.balanceOf(f.node.address)).to.equal(split(job).nodeFee);
    expect(await f.escrow.balanceOf(f.node2.address)).to.equal(0n);
  });

  it("copied optimistic proposal: a proposal without a claim is refused (InvalidJobStatus(Open, Claimed)) and locks nothing", async function () {
    const { jobId, job } = await f.requestOptimistic(f.plainVersion);
    await expect(f.escrow.connect(f.node2).proposeResult(job, NO_CLAIM, TRUE))
      .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
      .withArgs(jobId, JobStatus.Open, JobStatus.Claimed);
    expect(await f.escrow.lockedCollateral(f.node2.address)).to.equal(0n);
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
  });

  it("copied optimistic proposal: front-running the claim wins the job but not the output; the copier must compute it or be slashed", async function () {
    const { jobId, job } = await f.requestOptimistic(f.plainVersion);
    const [honest, frontRun] = await race(ethers, networkHelpers, [
      () => f.escrow.connect(f.node).claim(job, tip(1n)),
      () => f.escrow.connect(f.node2).claim(job, tip(50n)),
    ]);
    expect([honest, frontRun]).to.deep.equal([false, true]);
    const [claimedLog] = await f.escrow.queryFilter(f.escrow.filters.JobClaimed(jobId));
    const claim = { node: claimedLog.args.node, deliverBy: claimedLog.args.deliverBy };
    expect(claim.node).to.equal(f.node2.address);
    // The honest node never revealed an output (its claim failed before any proposal), so there is nothing to copy:
    // node2 either delivers itself or misses the deadline and is slashed.
    await time.increaseTo(claim.deliverBy + 1n);
    const stake = await f.staking.totalStakeOf(f.node2.address);
    await f.escrow.connect(f.other).reportMissedDeadline(job, claim);
    expect(await f.staking.totalStakeOf(f.node2.address)).to.equal(stake - job.collateral);
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
  });

  it("free inference by cancel (optimistic): a cancel request racing a claim leaves the claim valid; once claimed the job cannot be cancelled", async function () {
    const { jobId, job } = await f.requestOptimistic(f.plainVersion);
    const [claimed, requested] = await race(ethers, networkHelpers, [
      () => f.escrow.connect(f.node).claim(job, tip(1n)),
      () => f.escrow.connect(f.requester).requestCancel(job, tip(50n)),
    ]);
    expect([claimed, requested]).to.deep.equal([true, true]);
    const [claimedLog] = await f.escrow.queryFilter(f.escrow.filters.JobClaimed(jobId));
    const claim = { node: claimedLog.args.node, deliverBy: claimedLog.args.deliverBy };
    const receipt = await (await f.escrow.connect(f.node).proposeResult(job, claim, TRUE)).wait();
    const proposal = proposalOf(f.escrow, receipt!.logs);
    await time.increaseTo(await f.escrow.cancellableAt(jobId));
    await expect(f.escrow.connect(f.requester).cancel(job))
      .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
      .withArgs(jobId, JobStatus.Proposed, JobStatus.Open);
    await time.increaseTo(proposal.challengeEnds);
    await f.escrow.finalize(
      job,
      claim,
      { outputHash: proposal.outputHash, challengeEnds: proposal.challengeEnds },
      TRUE,
    );
    expect(await f.escrow.balanceOf(f.node.address)).to.equal(split(job).nodeFee);
  });
});
