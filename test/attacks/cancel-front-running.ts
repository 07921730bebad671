import { expect } from "chai";
import { network } from "hardhat";
import { CANCEL_GRACE_PERIOD_SECONDS, JobStatus } from "../helpers/constants.js";
import { NO_CLAIM } from "../../src/jobs.js";
import { OUTPUT, race, tip } from "../helpers/attacks.js";
import { claimJob, split } from "../helpers/escrow.js";
import { deployTeeFixture, PAYMENT, type TeeFixture } from "../helpers/fixtures.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const teeFixture = () => deployTeeFixture(ethers, networkHelpers);

/**
 * Issue 12, finding 1: "free inference by cancel". A requester reads a node's pending direct fulfil (the verified
 * output is in its calldata) and front-runs it with a cancel. Before the fix `cancel` refunded any open job at once, so
 * the cancel won the race: full refund, node unpaid, output obtained; and one such cancel reverted a whole
 * `submitBatch`. The first, second and fourth tests below were run against the code before the fix and failed there
 * (the cancel succeeded and the submit reverted with InvalidJobStatus(Cancelled, Open); the batch reverted whole).
 * The fix: a two-step cancel (`requestCancel`, then `cancel` after CANCEL_GRACE_PERIOD_SECONDS, during which the job
 * can still be fulfilled) and a batch that leaves out (`ResultSkipped`) a job another transaction moved.
 */
describe("attacks: free inference by cancel (front-running a direct fulfil)", function () {
  let f: TeeFixture;
  let escrowAddr: string;
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(teeFixture);
    escrowAddr = await f.escrow.getAddress();
  });

  it("free inference by cancel: a cancel sent with a higher tip after the node's pending fulfil fails; the node is paid, nothing is refunded", async function () {
    const { jobId, job } = await f.request();
    const sig = await f.enclave.signResult(f.teeDomain, escrowAddr, job, OUTPUT);
    const before = await f.escrow.balanceOf(f.requester.address);
    const [fulfilled, cancelled] = await race(ethers, networkHelpers, [
      () => f.escrow.connect(f.node).submitResult(job, NO_CLAIM, OUTPUT, sig, tip(1n)),
      () => f.escrow.connect(f.requester).cancel(job, tip(50n)),
    ]);
    expect(cancelled).to.equal(false);
    expect(fulfilled).to.equal(true);
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
    expect(await f.escrow.balanceOf(f.node.address)).to.equal(split(job).nodeFee);
    expect(await f.escrow.balanceOf(f.requester.address)).to.equal(before);
  });

  it("free inference by cancel: a cancel request that front-runs the fulfil only starts the grace period; the fulfil is mined and paid, the cancel then fails", async function () {
    const { jobId, job } = await f.request();
    const sig = await f.enclave.signResult(f.teeDomain, escrowAddr, job, OUTPUT);
    const [fulfilled, requested] = await race(ethers, networkHelpers, [
      () => f.escrow.connect(f.node).submitResult(job, NO_CLAIM, OUTPUT, sig, tip(1n)),
      () => f.escrow.connect(f.requester).requestCancel(job, tip(50n)),
    ]);
    expect(requested).to.equal(true);
    expect(fulfilled).to.equal(true);
    expect(await f.escrow.balanceOf(f.node.address)).to.equal(split(job).nodeFee);
    await time.increase(CANCEL_GRACE_PERIOD_SECONDS);
    await expect(f.escrow.connect(f.requester).cancel(job))
      .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
      .withArgs(jobId, JobStatus.Settled, JobStatus.Open);
  });

  it("free inference by cancel: a fulfil mined at the last second of the grace period is paid; from its end the cancel refunds and a late fulfil fails", async function () {
    const a = await f.request();
    const b = await f.request();
    await f.escrow.connect(f.requester).requestCancel(a.job);
    await f.escrow.connect(f.requester).requestCancel(b.job);
    const at = await f.escrow.cancellableAt(a.jobId);
    await time.setNextBlockTimestamp(at - 2n);
    await f.escrow
      .connect(f.node)
      .submitResult(a.job, NO_CLAIM, OUTPUT, await f.enclave.signResult(f.teeDomain, escrowAddr, a.job, OUTPUT));
    expect(await f.escrow.jobStatus(a.jobId)).to.equal(JobStatus.Settled);
    await time.setNextBlockTimestamp(await f.escrow.cancellableAt(b.jobId));
    await expect(f.escrow.connect(f.requester).cancel(b.job))
      .to.emit(f.escrow, "JobCancelled")
      .withArgs(b.jobId, PAYMENT);
    const late = await f.enclave.signResult(f.teeDomain, escrowAddr, b.job, OUTPUT);
    await expect(f.escrow.connect(f.node).submitResult(b.job, NO_CLAIM, OUTPUT, late))
      .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
      .withArgs(b.jobId, JobStatus.Cancelled, JobStatus.Open);
  });

  it("batch revert by one cancel: a cancel and another node's fulfil that front-run a batch leave those jobs out (ResultSkipped); the rest settles", async function () {
    const jobs = [await f.request(), await f.request(), await f.request(), await f.request()];
    // Job 1's cancel was requested long ago (the node did not look); job 2 is fulfilled first by node2.
    await f.escrow.connect(f.requester).requestCancel(jobs[1].job);
    await time.increase(CANCEL_GRACE_PERIOD_SECONDS);
    const all = jobs.map((j) => j.job);
    const outputs = all.map(() => OUTPUT);
    const sig = await f.enclave.signBatch(f.teeDomain, escrowAddr, all, outputs);
    const sig2 = await f.enclave2.signResult(f.teeDomain, escrowAddr, jobs[2].job, OUTPUT);
    const balance = await f.escrow.balanceOf(f.requester.address);
    const [batch, cancelled, stolen] = await race(ethers, networkHelpers, [
      () =>
        f.escrow.connect(f.node).submitBatch(
          all,
          all.map(() => NO_CLAIM),
          outputs,
          sig,
          tip(1n),
        ),
      () => f.escrow.connect(f.requester).cancel(jobs[1].job, tip(50n)),
      () => f.escrow.connect(f.node2).submitResult(jobs[2].job, NO_CLAIM, OUTPUT, sig2, tip(40n)),
    ]);
    expect([batch, cancelled, stolen]).to.deep.equal([true, true, true]);
    const statuses = await Promise.all(jobs.map((j) => f.escrow.jobStatus(j.jobId)));
    expect(statuses).to.deep.equal([JobStatus.Settled, JobStatus.Cancelled, JobStatus.Settled, JobStatus.Settled]);
    expect(await f.escrow.balanceOf(f.node.address)).to.equal(2n * split(jobs[0].job).nodeFee);
    expect(await f.escrow.balanceOf(f.node2.address)).to.equal(split(jobs[2].job).nodeFee);
    expect(await f.escrow.balanceOf(f.requester.address)).to.equal(balance + PAYMENT);
    const receipt = await ethers.provider.getTransactionReceipt(
      (await f.escrow.queryFilter(f.escrow.filters.ResultSkipped()))[0].transactionHash,
    );
    const skipped = receipt!.logs
      .map((l) => f.escrow.interface.parseLog(l))
      .filter((p) => p?.name === "ResultSkipped")
      .map((p) => [p!.args.jobId, p!.args.node, p!.args.status]);
    expect(skipped).to.deep.equal([
      [jobs[1].jobId, f.node.address, JobStatus.Cancelled],
      [jobs[2].jobId, f.node.address, JobStatus.Settled],
    ]);
  });

  it("batch revert by one claim: a job claimed by another node before the batch, or past its deadline, is left out; the submitter's own mistakes still revert", async function () {
    const a = await f.request();
    const b = await f.request();
    const c = await f.request({ expiresAt: BigInt(await time.latest()) + 700n });
    await claimJob(f.escrow, f.node2, b.job);
    await time.increaseTo(c.job.expiresAt);
    const all = [a.job, b.job, c.job];
    const outputs = all.map(() => OUTPUT);
    const sig = await f.enclave.signBatch(f.teeDomain, escrowAddr, all, outputs);
    await expect(
      f.escrow.connect(f.node).submitBatch(
        all,
        all.map(() => NO_CLAIM),
        outputs,
        sig,
      ),
    )
      .to.emit(f.escrow, "ResultSkipped")
      .withArgs(b.jobId, f.node.address, JobStatus.Claimed)
      .and.to.emit(f.escrow, "ResultSkipped")
      .withArgs(c.jobId, f.node.address, JobStatus.Open);
    expect(await f.escrow.jobStatus(a.jobId)).to.equal(JobStatus.Settled);
    expect(await f.escrow.jobStatus(b.jobId)).to.equal(JobStatus.Claimed);
    expect(await f.escrow.jobStatus(c.jobId)).to.equal(JobStatus.Open);
    // c is still refundable; b is still the claimer's.
    await expect(f.escrow.expire(c.job)).to.emit(f.escrow, "JobExpired").withArgs(c.jobId, PAYMENT);
    // A tampered job (the submitter's own input) still reverts the batch.
    const d = await f.request();
    const e = await f.request();
    const tampered = { ...e.job, payment: e.job.payment + 1n };
    const sig2 = await f.enclave.signBatch(f.teeDomain, escrowAddr, [d.job, tampered], [OUTPUT, OUTPUT]);
    await expect(
      f.escrow.connect(f.node).submitBatch([d.job, tampered], [NO_CLAIM, NO_CLAIM], [OUTPUT, OUTPUT], sig2),
    ).to.be.revertedWithCustomError(f.escrow, "JobMismatch");
  });

  it("free inference by cancel: refunds still work: a requested cancel does not block expiry, and pausing blocks neither step", async function () {
    const a = await f.request({ deliveryWindow: 60n, expiresAt: BigInt(await time.latest()) + 300n });
    const b = await f.request();
    await f.escrow.connect(f.governance).setPaused(true);
    await f.escrow.connect(f.requester).requestCancel(a.job);
    await f.escrow.connect(f.requester).requestCancel(b.job);
    // a expires before its grace period ends: anyone refunds it.
    await time.increaseTo(a.job.expiresAt);
    await expect(f.escrow.connect(f.other).expire(a.job)).to.emit(f.escrow, "JobExpired").withArgs(a.jobId, PAYMENT);
    await expect(f.escrow.connect(f.requester).cancel(a.job))
      .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
      .withArgs(a.jobId, JobStatus.Expired, JobStatus.Open);
    await time.increaseTo(await f.escrow.cancellableAt(b.jobId));
    await expect(f.escrow.connect(f.requester).cancel(b.job))
      .to.emit(f.escrow, "JobCancelled")
      .withArgs(b.jobId, PAYMENT);
    expect(await f.escrow.cancellableAt(b.jobId)).to.equal(0n);
  });
});
