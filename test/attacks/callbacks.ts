import { expect } from "chai";
import { network } from "hardhat";
import { JobStatus } from "../helpers/constants.js";
import { NO_CLAIM, type Claim, type Job } from "../../src/jobs.js";
import type { GasBurningConsumer, RecordingConsumer, RevertingConsumer } from "../../typechain-types/index.js";
import { consumerJob, OUTPUT } from "../helpers/attacks.js";
import { claimJob, split } from "../helpers/escrow.js";
import { deployTeeFixture, PAYMENT, USD, type TeeFixture } from "../helpers/fixtures.js";

const { ethers, networkHelpers } = await network.create();
const fixture = () => deployTeeFixture(ethers, networkHelpers);

/** Callbacks to contract requesters: a callback that reverts or burns all its gas never blocks settlement. */
describe("attacks: malicious callbacks", function () {
  let f: TeeFixture;
  let escrowAddr: string;
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
    escrowAddr = await f.escrow.getAddress();
  });

  const requested = <C>(name: string, limit: bigint) => consumerJob<C>(ethers, f, name, limit);

  async function submit(job: Job, claim: Claim = NO_CLAIM, overrides: { gasLimit?: bigint } = {}) {
    const sig = await f.enclave.signResult(f.teeDomain, escrowAddr, job, OUTPUT);
    return f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, sig, overrides);
  }

  it("callback baseline: a consumer contract receives the verified output with its full gas limit (CallbackExecuted true)", async function () {
    const limit = 400_000n;
    const { consumer, jobId, job } = await requested<RecordingConsumer>("RecordingConsumer", limit);
    const claim = await claimJob(f.escrow, f.node, job);
    const tx = await submit(job, claim);
    await expect(tx).to.emit(f.escrow, "CallbackExecuted").withArgs(jobId, true);
    await expect(tx).to.emit(f.escrow, "JobSettled");
    expect(await consumer.calls()).to.equal(1n);
    expect(await consumer.lastJobId()).to.equal(jobId);
    expect(await consumer.lastOutput()).to.equal(OUTPUT);
    expect(await consumer.lastCaller()).to.equal(escrowAddr);
    const gas = await consumer.gasAtEntry();
    expect(gas).to.be.lessThanOrEqual(limit);
    expect(gas).to.be.greaterThan(limit - 1_000n);
  });

  it("callback baseline: no callback for a zero gas limit", async function () {
    const { consumer, job } = await requested<RecordingConsumer>("RecordingConsumer", 0n);
    await expect(submit(job)).to.not.emit(f.escrow, "CallbackExecuted");
    expect(await consumer.calls()).to.equal(0n);
  });

  it("reverting callback: never blocks settlement: CallbackExecuted false, node paid", async function () {
    const { addr, jobId, job } = await requested<RevertingConsumer>("RevertingConsumer", 300_000n);
    const claim = await claimJob(f.escrow, f.node, job);
    const tx = await submit(job, claim);
    await expect(tx).to.emit(f.escrow, "CallbackExecuted").withArgs(jobId, false);
    await expect(tx).to.emit(f.escrow, "JobSettled");
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
    expect(await f.escrow.balanceOf(f.node.address)).to.equal(split(job).nodeFee);
    expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
    expect(await f.escrow.balanceOf(addr)).to.equal(USD(10) - PAYMENT);
  });

  it("gas-burning callback: never blocks settlement, and the transaction's gas stays bounded", async function () {
    const limit = 1_000_000n;
    const { consumer, jobId, job } = await requested<GasBurningConsumer>("GasBurningConsumer", limit);
    const tx = await submit(job, NO_CLAIM, { gasLimit: 5_000_000n });
    await expect(tx).to.emit(f.escrow, "CallbackExecuted").withArgs(jobId, false);
    const receipt = (await tx.wait())!;
    // The callback burned its whole limit, and not a unit more: settlement costs well under 250k on top.
    expect(receipt.gasUsed).to.be.greaterThan(limit);
    expect(receipt.gasUsed).to.be.lessThan(limit + 250_000n);
    expect(await consumer.counter()).to.equal(0n); // its writes were rolled back
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
    expect(await f.escrow.balanceOf(f.node.address)).to.equal(split(job).nodeFee);
  });

  it("callback gas starvation by the node: fails,: too little gas reverts with InsufficientGasForCallback", async function () {
    const limit = 1_000_000n;
    const { consumer, jobId, job } = await requested<RecordingConsumer>("RecordingConsumer", limit);
    const needed = limit + limit / 63n + 10_000n;
    // 600k is plenty to verify and settle (a job without a callback settles in well under 200k)...
    await expect(submit(job, NO_CLAIM, { gasLimit: 600_000n }))
      .to.be.revertedWithCustomError(f.escrow, "InsufficientGasForCallback")
      .withArgs(jobId, (gasLeft: bigint) => gasLeft < needed, needed);
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
    // ...and a few hundred thousand more than the callback limit is enough to run it in full.
    await expect(submit(job, NO_CLAIM, { gasLimit: limit + 400_000n }))
      .to.emit(f.escrow, "CallbackExecuted")
      .withArgs(jobId, true);
    expect(await consumer.gasAtEntry()).to.be.greaterThan(limit - 1_000n);
  });
});
