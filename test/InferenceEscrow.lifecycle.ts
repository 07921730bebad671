import { expect } from "chai";
import { network } from "hardhat";
import { AbiCoder, keccak256 } from "ethers";
import { BPS, JobStatus } from "./helpers/constants.js";
import { claimOf, jobCommitment, NO_CLAIM } from "../src/jobs.js";
import { deployTeeFixture, PAYMENT, ROYALTY, type TeeFixture } from "./helpers/fixtures.js";

const { ethers, networkHelpers } = await network.create();
const fixture = () => deployTeeFixture(ethers, networkHelpers);
const OUTPUT = AbiCoder.defaultAbiCoder().encode(["int256[]"], [[12n, -3n, 7n, 0n]]);

describe("InferenceEscrow: TEE life cycle", function () {
  let f: TeeFixture;
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
  });

  it("request → claim → submit settles and splits the payment to the wei", async function () {
    const escrow = await f.escrow.getAddress();
    const { jobId, job } = await f.request();
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
    expect(await f.escrow.jobCommitment(jobId)).to.equal(jobCommitment(job, NO_CLAIM, JobStatus.Open));

    const claimTx = await f.escrow.connect(f.node).claim(job);
    const claim = claimOf(f.escrow, (await claimTx.wait())!.logs);
    expect(claim.node).to.equal(f.node.address);
    expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(job.collateral);

    const sig = await f.enclave.signResult(f.teeDomain, escrow, job, OUTPUT);
    const fee = (PAYMENT * 250n) / BPS;
    const nodeFee = PAYMENT - ROYALTY - fee;
    await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, sig))
      .to.emit(f.escrow, "JobSettled")
      .withArgs(jobId, f.node.address, keccak256(OUTPUT), OUTPUT, nodeFee, ROYALTY, fee);

    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
    expect(await f.escrow.balanceOf(f.node.address)).to.equal(nodeFee);
    expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
    const accrual = await f.escrow.accrualOf(f.modelId);
    expect(accrual.royalties).to.equal(ROYALTY);
    expect(accrual.protocolFees).to.equal(fee);
  });

  it("a batch that lists the same job twice cannot settle (and pay) it twice", async function () {
    const escrow = await f.escrow.getAddress();
    const { jobId, job } = await f.request();
    const other = await f.request({ inputDigest: keccak256("0x1234") });
    const outputs = [OUTPUT, OUTPUT, OUTPUT];
    const jobs = [job, other.job, job];
    const sig = await f.enclave.signBatch(f.teeDomain, escrow, jobs, outputs);
    await expect(f.escrow.connect(f.node).submitBatch(jobs, [NO_CLAIM, NO_CLAIM, NO_CLAIM], outputs, sig))
      .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
      .withArgs(jobId, JobStatus.Settled, JobStatus.Claimed);
    // Without the duplicate the same batch settles both jobs once.
    const ok = await f.enclave.signBatch(f.teeDomain, escrow, jobs.slice(0, 2), outputs.slice(0, 2));
    await f.escrow.connect(f.node).submitBatch(jobs.slice(0, 2), [NO_CLAIM, NO_CLAIM], outputs.slice(0, 2), ok);
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
    expect(await f.escrow.jobStatus(other.jobId)).to.equal(JobStatus.Settled);
    expect(await f.escrow.balanceOf(f.node.address)).to.equal(2n * (PAYMENT - ROYALTY - (PAYMENT * 250n) / BPS));
  });

  it("a direct fulfil needs a registered node with the minimum active stake", async function () {
    const escrow = await f.escrow.getAddress();
    const { job } = await f.request();
    const sig = await f.enclave.signResult(f.teeDomain, escrow, job, OUTPUT);
    await expect(f.escrow.connect(f.other).submitResult(job, NO_CLAIM, OUTPUT, sig))
      .to.be.revertedWithCustomError(f.escrow, "NodeNotRegistered")
      .withArgs(f.other.address);
    // The node unstakes below the minimum: its enclave key still signs, but it may not serve without stake.
    const staked = (await f.staking.getNode(f.node.address)).staked;
    await f.staking.connect(f.node).requestUnstake(staked);
    await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, OUTPUT, sig))
      .to.be.revertedWithCustomError(f.escrow, "NodeStakeBelowMinimum")
      .withArgs(f.node.address, 0n, await f.staking.minStake());
  });

  it("no callback is attempted (and no CallbackExecuted emitted) for a requester without code", async function () {
    const escrow = await f.escrow.getAddress();
    const { job } = await f.request({ callbackGasLimit: 100_000n });
    const sig = await f.enclave.signResult(f.teeDomain, escrow, job, OUTPUT);
    await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, OUTPUT, sig))
      .to.emit(f.escrow, "JobSettled")
      .and.not.to.emit(f.escrow, "CallbackExecuted");
  });
});
