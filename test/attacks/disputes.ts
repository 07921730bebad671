import { expect } from "chai";
import { network } from "hardhat";
import { AbiCoder, keccak256 } from "ethers";
import { BPS, JobStatus, MAX_CHALLENGER_REWARD_BPS, Ruling } from "../helpers/constants.js";
import { claimJob } from "../helpers/escrow.js";
import {
  deployTeeFixture,
  MIN_COLLATERAL,
  NODE_STAKE,
  PAYMENT,
  ROYALTY,
  USD,
  type TeeFixture,
} from "../helpers/fixtures.js";
import { deployOptimisticFixture, proposed, trueOutput, type OptimisticFixture } from "../helpers/optimistic.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const teeFixture = () => deployTeeFixture(ethers, networkHelpers);
const optimisticFixture = () => deployOptimisticFixture(ethers, networkHelpers);
const WRONG = AbiCoder.defaultAbiCoder().encode(["int256[]"], [[1n, 2n, 3n, 2n]]);
const FEE = (PAYMENT * 250n) / BPS;
const NODE_FEE = PAYMENT - ROYALTY - FEE;

/** Escrow and collateral that must stay put while a job or a dispute is open, and the economics of disputes. */
describe("attacks: escrow, collateral and disputes", function () {
  describe("claimed jobs (TEE)", function () {
    let f: TeeFixture;
    beforeEach(async function () {
      f = await networkHelpers.loadFixture(teeFixture);
    });

    it("requester escrow withdrawal mid-job: no cancel once a node has claimed, and the payment is not in the withdrawable balance", async function () {
      const { jobId, job } = await f.request({ payment: USD(99) });
      await claimJob(f.escrow, f.node, job);
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(USD(1));
      await expect(f.escrow.connect(f.requester).cancel(job))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Claimed, JobStatus.Open);
      await expect(f.escrow.connect(f.requester).withdraw(USD(2), f.requester.address))
        .to.be.revertedWithCustomError(f.escrow, "InsufficientBalance")
        .withArgs(f.requester.address, USD(1), USD(2));
    });

    it("node collateral withdrawal mid-job: stake that backs a claim cannot leave staking until the job is done", async function () {
      const { job } = await f.request();
      const claim = await claimJob(f.escrow, f.node, job);
      await f.staking.connect(f.node).requestUnstake(await f.staking.totalStakeOf(f.node.address));
      await time.increase((await f.staking.getNode(f.node.address)).thawEnd - BigInt(await time.latest()));
      await expect(f.staking.connect(f.node).withdrawStake(f.node.address))
        .to.be.revertedWithCustomError(f.staking, "CollateralLocked")
        .withArgs(f.node.address, 0n, job.collateral);
      // The job's deadline passed long ago: it is reported, the node slashed from its thawing stake.
      await f.escrow.connect(f.other).reportMissedDeadline(job, claim);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
      const thawing = (await f.staking.getNode(f.node.address)).thawing;
      expect(thawing).to.equal(NODE_STAKE - job.collateral);
      await expect(f.staking.connect(f.node).withdrawStake(f.node.address)).to.changeTokenBalances(
        ethers,
        f.token,
        [f.node],
        [thawing],
      );
      expect((await f.staking.getNode(f.node.address)).thawing).to.equal(0n);
    });
  });

  describe("optimistic jobs and challenges", function () {
    let f: OptimisticFixture;
    let TRUE: string;
    before(async function () {
      TRUE = await trueOutput();
    });
    beforeEach(async function () {
      f = await networkHelpers.loadFixture(optimisticFixture);
    });

    it("requester escrow withdrawal during a challenge window: no cancel, no withdrawal of the payment, no refund before a ruling", async function () {
      const { jobId, job, claim, proposal } = await proposed(f, f.plainVersion, TRUE);
      const balance = await f.escrow.balanceOf(f.requester.address);
      await expect(f.escrow.connect(f.requester).cancel(job))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Proposed, JobStatus.Open);
      await expect(f.escrow.connect(f.requester).expire(job))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Proposed, JobStatus.Open);
      await expect(f.escrow.connect(f.requester).withdraw(balance + PAYMENT, f.requester.address))
        .to.be.revertedWithCustomError(f.escrow, "InsufficientBalance")
        .withArgs(f.requester.address, balance, balance + PAYMENT);
      // The requester challenges its own job to get the payment back: the job is only refunded by a ruling.
      await f.disputes.connect(f.challenger).challenge(job, claim, proposal);
      await expect(f.escrow.connect(f.requester).cancel(job))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Disputed, JobStatus.Open);
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(balance);
      // A right result is ruled right: the node is paid and the challenger's bond goes to the node.
      await f.disputes.connect(f.governance).arbitrate(job, claim, proposal, true, TRUE);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(balance);
    });

    it("node collateral withdrawal during a challenge window: unstake and withdraw fail, even when the dispute outlasts the thaw", async function () {
      const { job, claim, proposal } = await proposed(f, f.plainVersion, WRONG);
      const staked = (await f.staking.getNode(f.node.address)).staked;
      await f.staking.connect(f.node).requestUnstake(staked);
      const thawEnd = (await f.staking.getNode(f.node.address)).thawEnd;
      // The thaw outlasts any challenge window plus arbitration period.
      expect(thawEnd).to.be.greaterThan(proposal.challengeEnds + (await f.disputes.params()).arbitrationPeriod);
      await expect(f.staking.connect(f.node).withdrawStake(f.node.address))
        .to.be.revertedWithCustomError(f.staking, "StakeStillThawing")
        .withArgs(f.node.address, thawEnd);
      // Challenged and left unresolved past the thaw: the locked collateral still cannot leave.
      await f.disputes.connect(f.challenger).challenge(job, claim, proposal);
      await time.increaseTo(thawEnd);
      await expect(f.staking.connect(f.node).withdrawStake(f.node.address))
        .to.be.revertedWithCustomError(f.staking, "CollateralLocked")
        .withArgs(f.node.address, 0n, MIN_COLLATERAL);
    });

    it("challenger bond griefing: a challenge of a right result costs the griefer a bond of at least the payment, paid to the node", async function () {
      const { jobId, job, claim, proposal } = await proposed(f, f.plainVersion, TRUE);
      const bond = (await f.disputes.params()).bond;
      const expectedBond = bond > job.payment ? bond : job.payment;
      await expect(f.disputes.connect(f.challenger).challenge(job, claim, proposal)).to.changeTokenBalances(
        ethers,
        f.usd,
        [f.challenger, f.disputes],
        [-expectedBond, expectedBond],
      );
      expect((await f.disputes.disputeOf(jobId)).bond).to.equal(expectedBond);
      const tx = f.disputes.connect(f.governance).arbitrate(job, claim, proposal, true, TRUE);
      await expect(tx).to.emit(f.disputes, "DisputeResolved").withArgs(jobId, Ruling.NodeRight, false, f.node.address);
      await expect(tx)
        .to.emit(f.escrow, "JobSettled")
        .withArgs(jobId, f.node.address, keccak256(TRUE), TRUE, NODE_FEE, ROYALTY, FEE);
      // The node got its fee and the griefer's whole bond; no collateral was touched.
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(NODE_FEE + expectedBond);
      expect(await f.escrow.balanceOf(f.challenger.address)).to.equal(0n);
      expect(await f.usd.balanceOf(await f.disputes.getAddress())).to.equal(0n);
      expect(await f.staking.totalStakeOf(f.node.address)).to.equal(NODE_STAKE);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
    });

    it("challenger bond griefing: a second challenge of the same job and a challenge after the window are refused", async function () {
      const a = await proposed(f, f.plainVersion, TRUE);
      await f.disputes.connect(f.challenger).challenge(a.job, a.claim, a.proposal);
      await expect(f.disputes.connect(f.other).challenge(a.job, a.claim, a.proposal))
        .to.be.revertedWithCustomError(f.disputes, "AlreadyChallenged")
        .withArgs(a.jobId);
      const b = await proposed(f, f.plainVersion, TRUE);
      await time.increaseTo(b.proposal.challengeEnds + 10n);
      await expect(f.disputes.connect(f.challenger).challenge(b.job, b.claim, b.proposal))
        .to.be.revertedWithCustomError(f.escrow, "ChallengeWindowClosed")
        .withArgs(b.jobId, b.proposal.challengeEnds);
    });

    it("node and challenger colluding to exit via slash: they lose at least half of what they exit with", async function () {
      const { job, claim, proposal } = await proposed(f, f.plainVersion, WRONG);
      await f.disputes.connect(f.challenger).challenge(job, claim, proposal);
      await f.disputes.connect(f.governance).arbitrate(job, claim, proposal, false, "0x");
      const reward = await f.staking.rewardsOf(f.challenger.address);
      expect(reward * BPS).to.be.at.most(job.collateral * MAX_CHALLENGER_REWARD_BPS);
      expect(await f.staking.rewardsOf(f.treasury.address)).to.be.at.least(job.collateral - reward);
      const current = await f.disputes.params();
      await expect(
        f.disputes.connect(f.governance).setParams({
          bond: current.bond,
          arbitrationPeriod: current.arbitrationPeriod,
          challengerRewardBps: 5_001,
          arbitrator: current.arbitrator,
          equivocationSlash: current.equivocationSlash,
        }),
      )
        .to.be.revertedWithCustomError(f.disputes, "ParamOutOfBounds")
        .withArgs("challengerRewardBps", 5_001n);
    });
  });
});
