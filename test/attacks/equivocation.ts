import { expect } from "chai";
import { network } from "hardhat";
import { id, Wallet } from "ethers";
import { BPS, JobStatus, Mode } from "../helpers/constants.js";
import { requestedJobs, type Job } from "../../src/jobs.js";
import { resultMessage, RESULT_TYPES, signedResultEvidence, SimulatedEnclave, teeResultDomain } from "../../src/tee.js";
import { MEASUREMENT, NODE_STAKE, registerEnclave } from "../helpers/fixtures.js";
import { deployOptimisticFixture, trueOutput, type OptimisticFixture } from "../helpers/optimistic.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const KEY = new Wallet(id("enclave-equivocating"));

/**
 * The optimistic fixture plus an enclave key of `node` that will equivocate, and a sock puppet of the node (`other`)
 * funded to request one optimistic job whose collateral is the node's whole stake.
 */
async function fixture() {
  const f = await deployOptimisticFixture(ethers, networkHelpers);
  const service = new Wallet(id("veritas-test-attestation-service"));
  await f.attestation.connect(f.governance).setAttestationSigner(service.address, true);
  await f.tee.connect(f.governance).approveMeasurement(MEASUREMENT, "m");
  await registerEnclave(f, service, f.node, new SimulatedEnclave(MEASUREMENT, KEY));
  // collateral = payment x collateralPerPaymentBps / BPS: pay enough that the collateral is the whole stake.
  const rate = BigInt((await f.escrow.config()).collateralPerPaymentBps);
  const payment = (NODE_STAKE * BPS) / rate;
  await f.usd.mint(f.other.address, payment);
  await f.usd.connect(f.other).approve(await f.escrow.getAddress(), payment);
  await f.escrow.connect(f.other).deposit(f.other.address, payment);
  return { ...f, payment };
}

/** `KEY`'s signature over `outputHash` for `job`, in the TEE result domain of `chainId` (this chain by default). */
async function signed(f: OptimisticFixture, job: Job, outputHash: string, chainId = f.chainId) {
  const domain = teeResultDomain(chainId, await f.teeVerifier.getAddress());
  const escrow = await f.escrow.getAddress();
  const signature = await KEY.signTypedData(domain, RESULT_TYPES, resultMessage(escrow, job, outputHash));
  return signedResultEvidence(escrow, [job], [outputHash], 0, signature, false);
}

describe("attacks: TEE equivocation", function () {
  let f: Awaited<ReturnType<typeof fixture>>;
  let TRUE: string;
  before(async function () {
    TRUE = await trueOutput();
  });
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
  });

  /** The node locks its whole stake through its sock puppet's job, then equivocates and is reported. */
  async function lockAllThenEquivocate() {
    const now = BigInt(await time.latest());
    const tx = await f.escrow.connect(f.other).requestInference({
      versionId: f.plainVersion,
      mode: Mode.OPTIMISTIC,
      node: f.node.address,
      payment: f.payment,
      deliveryWindow: 600n,
      expiresAt: now + 3600n,
      callbackGasLimit: 0n,
      inputDigest: id("input"),
      inputURI: "",
    });
    const [{ job }] = requestedJobs(f.escrow, (await tx.wait())!.logs);
    expect(job.collateral).to.equal(NODE_STAKE);
    const locked = await f.propose(job, TRUE);
    expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(await f.staking.totalStakeOf(f.node.address));

    const a = await f.requestOptimistic(f.plainVersion);
    const b = await f.requestOptimistic(f.plainVersion);
    const penalty = (await f.disputes.params()).equivocationSlash;
    const report = f.disputes
      .connect(f.challenger)
      .reportEquivocation(await signed(f, a.job, id("output-a")), await signed(f, b.job, id("output-b")));
    return { job, ...locked, penalty, report, other: b };
  }

  it("equivocation slash evasion by locking all stake first: the penalty becomes a debt that blocks withdrawals and claims", async function () {
    const { penalty, report, other } = await lockAllThenEquivocate();
    expect(penalty).to.be.greaterThan(0n);
    // Nothing is free now: nothing is slashed now, the whole penalty is owed.
    await expect(report)
      .to.emit(f.disputes, "EquivocationReported")
      .withArgs(
        f.node.address,
        KEY.address,
        other.job.versionId,
        other.job.inputDigest,
        id("output-a"),
        id("output-b"),
        f.challenger.address,
        0n,
      )
      .and.to.emit(f.staking, "EquivocationDebtRecorded")
      .withArgs(f.node.address, penalty, penalty, f.challenger.address);
    await expect(report).to.not.emit(f.staking, "Slashed");
    const debt = await f.staking.equivocationDebtOf(f.node.address);
    expect([debt.amount, debt.reporter]).to.deep.equal([penalty, f.challenger.address]);

    // No new claim (plain claim, or claim-and-propose) while the debt is outstanding.
    await expect(f.escrow.connect(f.node).claim(other.job))
      .to.be.revertedWithCustomError(f.staking, "EquivocationDebtOutstanding")
      .withArgs(f.node.address, penalty);
    await expect(f.propose(other.job, TRUE))
      .to.be.revertedWithCustomError(f.staking, "EquivocationDebtOutstanding")
      .withArgs(f.node.address, penalty);
    // No withdrawal either: unstake everything, wait out the thaw, try.
    await f.staking.connect(f.node).requestUnstake(NODE_STAKE);
    await time.increase((await f.staking.unbondingPeriod()) + 1n);
    await expect(f.staking.connect(f.node).withdrawStake(f.node.address))
      .to.be.revertedWithCustomError(f.staking, "EquivocationDebtOutstanding")
      .withArgs(f.node.address, penalty);
    // Collecting takes nothing while every token backs the lock.
    expect(await f.staking.collectEquivocationDebt.staticCall(f.node.address)).to.equal(0n);
  });

  it("equivocation slash evasion by locking all stake first: the full penalty is taken once the lock is released (to the wei)", async function () {
    const { job, claim, proposal, penalty, report } = await lockAllThenEquivocate();
    await report;
    const bps = BigInt((await f.disputes.params()).challengerRewardBps);
    const reward = (penalty * bps) / BPS;
    const treasuryBefore = await f.staking.rewardsOf(f.treasury.address);

    // The job ends (finalize after its window): its collateral is released.
    await time.increaseTo(proposal.challengeEnds);
    await f.escrow.finalize(job, claim, proposal, TRUE);
    expect(await f.escrow.jobStatus((BigInt(job.requester) << 32n) | job.nonce)).to.equal(JobStatus.Settled);
    expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);

    // The node's attempt to leave with everything collects the debt first (and would revert if it could not).
    await f.staking.connect(f.node).requestUnstake(NODE_STAKE);
    await time.increase((await f.staking.unbondingPeriod()) + 1n);
    const balanceBefore = await f.token.balanceOf(f.node.address);
    await expect(f.staking.connect(f.node).withdrawStake(f.node.address))
      .to.emit(f.staking, "EquivocationDebtCollected")
      .withArgs(f.node.address, penalty, 0n)
      .and.to.emit(f.staking, "Slashed")
      .withArgs(f.node.address, penalty, f.challenger.address, reward, penalty - reward)
      .and.to.emit(f.staking, "StakeWithdrawn")
      .withArgs(f.node.address, f.node.address, NODE_STAKE - penalty);
    expect(await f.token.balanceOf(f.node.address)).to.equal(balanceBefore + NODE_STAKE - penalty);
    expect(await f.staking.totalStakeOf(f.node.address)).to.equal(0n);
    expect(await f.staking.rewardsOf(f.challenger.address)).to.equal(reward);
    expect(await f.staking.rewardsOf(f.treasury.address)).to.equal(treasuryBefore + penalty - reward);
    expect((await f.staking.equivocationDebtOf(f.node.address)).amount).to.equal(0n);
  });

  it("equivocation slash evasion by locking all stake first: anyone collects as collateral frees up, and the node may claim again once paid", async function () {
    const { job, claim, proposal, penalty, report, other } = await lockAllThenEquivocate();
    await report;
    await expect(f.staking.collectEquivocationDebt(f.node2.address))
      .to.be.revertedWithCustomError(f.staking, "NoEquivocationDebt")
      .withArgs(f.node2.address);
    // A top-up smaller than the debt is collected in part.
    const part = penalty / 3n;
    await f.token.connect(f.deployer).approve(await f.staking.getAddress(), part);
    await f.staking.connect(f.deployer).stake(f.node.address, part);
    await expect(f.staking.connect(f.requester).collectEquivocationDebt(f.node.address))
      .to.emit(f.staking, "EquivocationDebtCollected")
      .withArgs(f.node.address, part, penalty - part);
    await expect(f.escrow.connect(f.node).claim(other.job))
      .to.be.revertedWithCustomError(f.staking, "EquivocationDebtOutstanding")
      .withArgs(f.node.address, penalty - part);
    // The lock is released: the rest is collected, the node's stake is exactly what it staked minus the penalty.
    await time.increaseTo(proposal.challengeEnds);
    await f.escrow.finalize(job, claim, proposal, TRUE);
    await expect(f.staking.collectEquivocationDebt(f.node.address))
      .to.emit(f.staking, "EquivocationDebtCollected")
      .withArgs(f.node.address, penalty - part, 0n);
    expect(await f.staking.totalStakeOf(f.node.address)).to.equal(NODE_STAKE + part - penalty);
    const fresh = await f.requestOptimistic(f.plainVersion);
    await expect(f.escrow.connect(f.node).claim(fresh.job)).to.emit(f.escrow, "JobClaimed");
  });

  it("equivocation (baseline): two signatures over different outputs for one input slash the node's free stake and revoke the key", async function () {
    const a = await f.request();
    const b = await f.request();
    const ea = await signed(f, a.job, id("output-a"));
    const eb = await signed(f, b.job, id("output-b"));
    const free = await f.staking.totalStakeOf(f.node.address);
    const slash = (await f.disputes.params()).equivocationSlash;
    await expect(f.disputes.connect(f.other).reportEquivocation(ea, eb))
      .to.emit(f.disputes, "EquivocationReported")
      .withArgs(
        f.node.address,
        KEY.address,
        a.job.versionId,
        a.job.inputDigest,
        id("output-a"),
        id("output-b"),
        f.other.address,
        slash,
      );
    expect(await f.staking.totalStakeOf(f.node.address)).to.equal(free - slash);
    expect((await f.tee.getEnclaveKey(KEY.address)).revoked).to.equal(true);
    await expect(f.disputes.reportEquivocation(ea, eb))
      .to.be.revertedWithCustomError(f.disputes, "AlreadyReported")
      .withArgs(KEY.address);
  });

  it("signature replay across chains: an equivocation report with a signature for another chain does not count", async function () {
    const a = await f.request();
    const ea = await signed(f, a.job, id("output-a"));
    const foreign = await signed(f, a.job, id("output-b"), f.chainId + 1n);
    await expect(f.disputes.reportEquivocation(ea, foreign)).to.be.revertedWithCustomError(
      f.disputes,
      "NotEquivocation",
    );
    const same = await signed(f, a.job, id("output-a"));
    await expect(f.disputes.reportEquivocation(ea, same)).to.be.revertedWithCustomError(f.disputes, "NotEquivocation");
  });
});
