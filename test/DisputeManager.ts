import { expect } from "chai";
import { network } from "hardhat";
import { AbiCoder, keccak256, ZeroAddress } from "ethers";
import { BPS, JobStatus, Ruling } from "./helpers/constants.js";
import { proveJob } from "../zk/lib/escrow.js";
import { PAYMENT, ROYALTY } from "./helpers/fixtures.js";
import { deployOptimisticFixture, proposed, trueOutput, type OptimisticFixture } from "./helpers/optimistic.js";
import { ZK_INPUT } from "./helpers/zk.js";
import { MAX_ARBITRATION_PERIOD_SECONDS, MIN_ARBITRATION_PERIOD_SECONDS } from "./helpers/constants.js";
import { claimJob } from "./helpers/escrow.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const fixture = () => deployOptimisticFixture(ethers, networkHelpers);
const WRONG = AbiCoder.defaultAbiCoder().encode(["int256[]"], [[1n, 2n, 3n, 2n]]);
const FEE = (PAYMENT * 250n) / BPS;
const NODE_FEE = PAYMENT - ROYALTY - FEE;

describe("Optimistic results and DisputeManager", function () {
  let f: OptimisticFixture;
  let TRUE: string;
  before(async function () {
    TRUE = await trueOutput();
  });
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
  });

  describe("propose and finalize", function () {
    it("claims, then proposes; anyone finalizes after the window and the node is paid", async function () {
      const { jobId, job, claim, proposal } = await proposed(f, f.plainVersion, TRUE);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Proposed);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(job.collateral);
      // The proposal is mined one block (one second) after the claim.
      expect(proposal.challengeEnds - claim.deliverBy + 600n - 1n).to.equal(job.challengeWindow);
      await expect(f.escrow.connect(f.other).finalize(job, claim, proposal, TRUE))
        .to.be.revertedWithCustomError(f.escrow, "ChallengeWindowOpen")
        .withArgs(jobId, proposal.challengeEnds);
      await time.increaseTo(proposal.challengeEnds);
      await expect(f.escrow.connect(f.other).finalize(job, claim, proposal, WRONG))
        .to.be.revertedWithCustomError(f.escrow, "OutputMismatch")
        .withArgs(jobId, keccak256(WRONG), proposal.outputHash);
      await expect(f.escrow.connect(f.other).finalize(job, claim, proposal, TRUE))
        .to.emit(f.escrow, "JobSettled")
        .withArgs(jobId, f.node.address, keccak256(TRUE), TRUE, NODE_FEE, ROYALTY, FEE);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(NODE_FEE);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
    });

    it("a claimed job is proposed by its claimer only, and TEE/ZK jobs cannot be proposed", async function () {
      const { jobId, job } = await f.requestOptimistic(f.plainVersion);
      await f.escrow.connect(f.node).claim(job);
      const claim = {
        node: f.node.address,
        deliverBy: (await f.escrow.queryFilter(f.escrow.filters.JobClaimed(jobId)))[0].args.deliverBy,
      };
      await expect(f.escrow.connect(f.node2).proposeResult(job, claim, TRUE))
        .to.be.revertedWithCustomError(f.escrow, "NotClaimer")
        .withArgs(jobId, f.node2.address, f.node.address);
      await expect(f.escrow.connect(f.node).proposeResult(job, claim, TRUE)).to.emit(f.escrow, "ResultProposed");
      const zkJob = await f.request();
      await expect(f.escrow.connect(f.node).proposeResult(zkJob.job, { node: ZeroAddress, deliverBy: 0n }, TRUE))
        .to.be.revertedWithCustomError(f.escrow, "ModeNotOptimistic")
        .withArgs(zkJob.jobId, 2n);
    });

    it("finalizes a batch of jobs in one transaction", async function () {
      const a = await proposed(f, f.plainVersion, TRUE);
      const b = await proposed(f, f.plainVersion, WRONG);
      await time.increaseTo(b.proposal.challengeEnds);
      await f.escrow.finalizeBatch([a.job, b.job], [a.claim, b.claim], [a.proposal, b.proposal], [TRUE, WRONG]);
      expect(await f.escrow.jobStatus(a.jobId)).to.equal(JobStatus.Settled);
      expect(await f.escrow.jobStatus(b.jobId)).to.equal(JobStatus.Settled);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(2n * NODE_FEE);
    });
  });

  describe("disputes decided by a ZK proof", function () {
    it("a wrong result challenged and slashed, with every balance checked to the wei", async function () {
      const { jobId, job, claim, proposal } = await proposed(f, f.provableVersion, WRONG);
      const bond = PAYMENT; // max(params.bond = 1 USD, payment = 1 USD)
      await expect(f.disputes.connect(f.challenger).challenge(job, claim, proposal))
        .to.emit(f.disputes, "Challenged")
        .and.to.emit(f.escrow, "JobDisputed")
        .withArgs(jobId, f.challenger.address);
      expect(await f.usd.balanceOf(await f.disputes.getAddress())).to.equal(bond);
      const p = await proveJob(job, f.node.address, ZK_INPUT, f.chainId, await f.escrow.getAddress());
      expect(p.output).to.equal(TRUE);
      const requesterBefore = await f.escrow.balanceOf(f.requester.address);
      const treasuryRewards = await f.staking.rewardsOf(f.treasury.address);
      const tx = f.disputes.connect(f.other).resolveByProof(job, claim, proposal, p.output, p.proof);
      await expect(tx)
        .to.emit(f.disputes, "DisputeResolved")
        .withArgs(jobId, Ruling.NodeWrong, true, f.challenger.address);
      await expect(tx).to.emit(f.escrow, "JobRefunded").withArgs(jobId, PAYMENT, Ruling.NodeWrong, job.collateral);
      const reward = (job.collateral * 5_000n) / BPS;
      await expect(tx)
        .to.emit(f.staking, "Slashed")
        .withArgs(f.node.address, job.collateral, f.challenger.address, reward, job.collateral - reward);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Refunded);
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(requesterBefore + PAYMENT);
      expect(await f.escrow.balanceOf(f.challenger.address)).to.equal(bond);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(0n);
      expect(await f.staking.rewardsOf(f.challenger.address)).to.equal(reward);
      expect(await f.staking.rewardsOf(f.treasury.address)).to.equal(treasuryRewards + job.collateral - reward);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
      expect(await f.usd.balanceOf(await f.disputes.getAddress())).to.equal(0n);
      expect((await f.escrow.accrualOf(f.modelId)).royalties).to.equal(0n);
    });

    it("a right result challenged and the challenger's bond lost", async function () {
      const { jobId, job, claim, proposal } = await proposed(f, f.provableVersion, TRUE);
      await f.disputes.connect(f.challenger).challenge(job, claim, proposal);
      const p = await proveJob(job, f.node.address, ZK_INPUT, f.chainId, await f.escrow.getAddress());
      const tx = f.disputes.connect(f.other).resolveByProof(job, claim, proposal, p.output, p.proof);
      await expect(tx).to.emit(f.disputes, "DisputeResolved").withArgs(jobId, Ruling.NodeRight, true, f.node.address);
      await expect(tx)
        .to.emit(f.escrow, "JobSettled")
        .withArgs(jobId, f.node.address, keccak256(TRUE), TRUE, NODE_FEE, ROYALTY, FEE);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(NODE_FEE + PAYMENT);
      expect(await f.escrow.balanceOf(f.challenger.address)).to.equal(0n);
      expect(await f.staking.totalStakeOf(f.node.address)).to.equal((await f.staking.getNode(f.node.address)).staked);
      // A proof made for another node does not decide the dispute a second time or at all.
      await expect(f.disputes.resolveByProof(job, claim, proposal, p.output, p.proof))
        .to.be.revertedWithCustomError(f.disputes, "NoOpenDispute")
        .withArgs(jobId);
    });

    it("a proof for another node's tag does not verify", async function () {
      const { job, claim, proposal } = await proposed(f, f.provableVersion, WRONG);
      await f.disputes.connect(f.challenger).challenge(job, claim, proposal);
      const p = await proveJob(job, f.node2.address, ZK_INPUT, f.chainId, await f.escrow.getAddress());
      await expect(f.disputes.resolveByProof(job, claim, proposal, p.output, p.proof)).to.be.revertedWithCustomError(
        f.zkVerifier,
        "InvalidProof",
      );
    });
  });

  describe("construction, parameters and the escrow's optimistic checks", function () {
    /** The dispute parameters as a plain (writable) struct. */
    async function currentParams() {
      const p = await f.disputes.params();
      return {
        bond: p.bond,
        arbitrationPeriod: p.arbitrationPeriod,
        challengerRewardBps: p.challengerRewardBps,
        arbitrator: p.arbitrator,
        equivocationSlash: p.equivocationSlash,
      };
    }

    it("the constructor rejects a zero escrow, TEE registry or TEE verifier", async function () {
      const factory = await ethers.getContractFactory("DisputeManager");
      const params = await currentParams();
      const addrs = [await f.escrow.getAddress(), await f.tee.getAddress(), await f.teeVerifier.getAddress()];
      for (let i = 0; i < addrs.length; i++) {
        const args = addrs.map((a, j) => (j === i ? ZeroAddress : a));
        await expect(
          factory.deploy(args[0], args[1], args[2], params, f.governance.address),
          `argument ${i}`,
        ).to.be.revertedWithCustomError(factory, "ZeroAddress");
      }
    });

    it("setParams refuses a zero bond and an arbitration period out of bounds, and stores valid parameters", async function () {
      const params = await currentParams();
      await expect(f.disputes.connect(f.governance).setParams({ ...params, bond: 0n }))
        .to.be.revertedWithCustomError(f.disputes, "ParamOutOfBounds")
        .withArgs("bond", 0n);
      for (const period of [MIN_ARBITRATION_PERIOD_SECONDS - 1n, MAX_ARBITRATION_PERIOD_SECONDS + 1n]) {
        await expect(f.disputes.connect(f.governance).setParams({ ...params, arbitrationPeriod: period }))
          .to.be.revertedWithCustomError(f.disputes, "ParamOutOfBounds")
          .withArgs("arbitrationPeriod", period);
      }
      const next = { ...params, bond: 7n, arbitrationPeriod: MAX_ARBITRATION_PERIOD_SECONDS };
      await expect(f.disputes.connect(f.governance).setParams(next)).to.emit(f.disputes, "ParamsSet");
      const stored = await f.disputes.params();
      expect([stored.bond, stored.arbitrationPeriod]).to.deep.equal([7n, MAX_ARBITRATION_PERIOD_SECONDS]);
    });

    it("finalize refuses an unknown job and a tampered proposal; finalizeBatch refuses a malformed batch", async function () {
      const { jobId, job, claim, proposal } = await proposed(f, f.plainVersion, TRUE);
      const unknown = { ...job, nonce: job.nonce + 1000n };
      await expect(f.escrow.finalize(unknown, claim, proposal, TRUE))
        .to.be.revertedWithCustomError(f.escrow, "UnknownJob")
        .withArgs((BigInt(job.requester) << 32n) | unknown.nonce);
      await expect(f.escrow.finalize(job, claim, { ...proposal, challengeEnds: proposal.challengeEnds + 1n }, TRUE))
        .to.be.revertedWithCustomError(f.escrow, "JobMismatch")
        .withArgs(jobId);
      await expect(f.escrow.finalizeBatch([], [], [], [])).to.be.revertedWithCustomError(f.escrow, "InvalidBatch");
      await expect(f.escrow.finalizeBatch([job], [claim], [proposal], [])).to.be.revertedWithCustomError(
        f.escrow,
        "InvalidBatch",
      );
      await time.increaseTo(proposal.challengeEnds);
      await expect(f.escrow.finalizeBatch([job], [claim], [proposal], [TRUE])).to.emit(f.escrow, "JobSettled");
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
    });

    it("submitResult refuses an optimistic job: its mode has no verifier at submission", async function () {
      const { jobId, job } = await f.requestOptimistic(f.plainVersion);
      const claim = await claimJob(f.escrow, f.node, job);
      await expect(f.escrow.connect(f.node).submitResult(job, claim, TRUE, "0x"))
        .to.be.revertedWithCustomError(f.escrow, "ModeNotVerifiedAtSubmission")
        .withArgs(jobId, job.mode);
    });
  });

  describe("disputes decided by the arbitrator or by timeout", function () {
    it("the arbitrator rules the node wrong (slash) or right (bond to the node), before the deadline only", async function () {
      const a = await proposed(f, f.plainVersion, WRONG);
      await f.disputes.connect(f.challenger).challenge(a.job, a.claim, a.proposal);
      await expect(f.disputes.connect(f.other).arbitrate(a.job, a.claim, a.proposal, false, "0x"))
        .to.be.revertedWithCustomError(f.disputes, "NotArbitrator")
        .withArgs(a.jobId, f.other.address, f.governance.address);
      await expect(f.disputes.connect(f.governance).arbitrate(a.job, a.claim, a.proposal, false, "0x"))
        .to.emit(f.escrow, "JobRefunded")
        .withArgs(a.jobId, PAYMENT, Ruling.NodeWrong, a.job.collateral);

      const b = await proposed(f, f.plainVersion, TRUE);
      await f.disputes.connect(f.challenger).challenge(b.job, b.claim, b.proposal);
      await expect(
        f.disputes.connect(f.governance).arbitrate(b.job, b.claim, b.proposal, true, WRONG),
      ).to.be.revertedWithCustomError(f.escrow, "OutputMismatch");
      await expect(f.disputes.connect(f.governance).arbitrate(b.job, b.claim, b.proposal, true, TRUE)).to.emit(
        f.escrow,
        "JobSettled",
      );
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(NODE_FEE + PAYMENT);

      const c = await proposed(f, f.plainVersion, TRUE);
      await f.disputes.connect(f.challenger).challenge(c.job, c.claim, c.proposal);
      const d = await f.disputes.disputeOf(c.jobId);
      await time.increaseTo(d.deadline);
      await expect(f.disputes.connect(f.governance).arbitrate(c.job, c.claim, c.proposal, true, TRUE))
        .to.be.revertedWithCustomError(f.disputes, "ArbitrationClosed")
        .withArgs(c.jobId, d.deadline);
    });

    it("a dispute nobody rules on ends as a draw: bond back, requester refunded, no slash", async function () {
      const { jobId, job, claim, proposal } = await proposed(f, f.plainVersion, WRONG);
      await f.disputes.connect(f.challenger).challenge(job, claim, proposal);
      const d = await f.disputes.disputeOf(jobId);
      await expect(f.disputes.resolveTimeout(job, claim, proposal))
        .to.be.revertedWithCustomError(f.disputes, "ArbitrationOpen")
        .withArgs(jobId, d.deadline);
      await time.increaseTo(d.deadline);
      const stake = await f.staking.totalStakeOf(f.node.address);
      const requesterBefore = await f.escrow.balanceOf(f.requester.address);
      await expect(f.disputes.connect(f.other).resolveTimeout(job, claim, proposal))
        .to.emit(f.escrow, "JobRefunded")
        .withArgs(jobId, PAYMENT, Ruling.Draw, 0n);
      expect(await f.staking.totalStakeOf(f.node.address)).to.equal(stake);
      expect(await f.escrow.balanceOf(f.challenger.address)).to.equal(PAYMENT);
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(requesterBefore + PAYMENT);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
    });
  });
});
