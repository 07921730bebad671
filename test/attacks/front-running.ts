import { expect } from "chai";
import { network } from "hardhat";
import { JobStatus } from "../helpers/constants.js";
import { NO_CLAIM } from "../../src/jobs.js";
import { OUTPUT } from "../helpers/attacks.js";
import { claimJob, split } from "../helpers/escrow.js";
import { deployTeeFixture, type TeeFixture } from "../helpers/fixtures.js";
import { deployOptimisticFixture, proposed, trueOutput, type OptimisticFixture } from "../helpers/optimistic.js";

const { ethers, networkHelpers } = await network.create();
const teeFixture = () => deployTeeFixture(ethers, networkHelpers);
const optimisticFixture = () => deployOptimisticFixture(ethers, networkHelpers);
const { time } = networkHelpers;

/**
 * Races seen in the mempool. A TEE result is bound to the node that owns the enclave key, a ZK proof to the submitting
 * node (zk-proofs.ts), and every job transition checks the stored status first: the loser of a race reverts cleanly.
 */
describe("attacks: front-running", function () {
  describe("claim and submit (TEE)", function () {
    let f: TeeFixture;
    let escrowAddr: string;
    beforeEach(async function () {
      f = await networkHelpers.loadFixture(teeFixture);
      escrowAddr = await f.escrow.getAddress();
    });

    it("front-running submit: another node replaying the mempool signature is refused (the enclave key is not theirs)", async function () {
      const { jobId, job } = await f.request();
      const sig = await f.enclave.signResult(f.teeDomain, escrowAddr, job, OUTPUT);
      await expect(f.escrow.connect(f.node2).submitResult(job, NO_CLAIM, OUTPUT, sig))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyNotOwned")
        .withArgs(f.enclave.address, f.node.address, f.node2.address);
      await f.escrow.connect(f.node).submitResult(job, NO_CLAIM, OUTPUT, sig);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(split(job).nodeFee);
      expect(await f.escrow.balanceOf(f.node2.address)).to.equal(0n);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
    });

    it("front-running claim: a node that front-runs a claim with a direct fulfil wins the job; the claim then fails cleanly and locks nothing", async function () {
      const { jobId, job } = await f.request();
      const sig = await f.enclave2.signResult(f.teeDomain, escrowAddr, job, OUTPUT);
      await f.escrow.connect(f.node2).submitResult(job, NO_CLAIM, OUTPUT, sig);
      await expect(f.escrow.connect(f.node).claim(job))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Settled, JobStatus.Open);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
    });

    it("front-running claim: a second claim of a claimed job fails with InvalidJobStatus; the first claimer keeps it", async function () {
      const { jobId, job } = await f.request();
      const claim = await claimJob(f.escrow, f.node, job);
      await expect(f.escrow.connect(f.node2).claim(job))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Claimed, JobStatus.Open);
      expect(await f.escrow.lockedCollateral(f.node2.address)).to.equal(0n);
      // node2's enclave signature for the claimed job is refused too: only the claimer may submit.
      const sig2 = await f.enclave2.signResult(f.teeDomain, escrowAddr, job, OUTPUT);
      await expect(f.escrow.connect(f.node2).submitResult(job, claim, OUTPUT, sig2))
        .to.be.revertedWithCustomError(f.escrow, "NotClaimer")
        .withArgs(jobId, f.node2.address, f.node.address);
      const sig = await f.enclave.signResult(f.teeDomain, escrowAddr, job, OUTPUT);
      await f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, sig);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(split(job).nodeFee);
    });
  });

  describe("finalize and challenge (optimistic)", function () {
    let f: OptimisticFixture;
    let TRUE: string;
    before(async function () {
      TRUE = await trueOutput();
    });
    beforeEach(async function () {
      f = await networkHelpers.loadFixture(optimisticFixture);
    });

    it("front-running finalize with a challenge: at the window's end only one of them can happen", async function () {
      const { jobId, job, claim, proposal } = await proposed(f, f.plainVersion, TRUE);
      await time.setNextBlockTimestamp(proposal.challengeEnds);
      await expect(f.disputes.connect(f.challenger).challenge(job, claim, proposal))
        .to.be.revertedWithCustomError(f.escrow, "ChallengeWindowClosed")
        .withArgs(jobId, proposal.challengeEnds);
      await expect(f.escrow.finalize(job, claim, proposal, TRUE)).to.emit(f.escrow, "JobSettled");

      const second = await proposed(f, f.plainVersion, TRUE);
      await time.setNextBlockTimestamp(second.proposal.challengeEnds - 1n);
      await f.disputes.connect(f.challenger).challenge(second.job, second.claim, second.proposal);
      await expect(f.escrow.finalize(second.job, second.claim, second.proposal, TRUE))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(second.jobId, JobStatus.Disputed, JobStatus.Proposed);
    });
  });
});
