import { expect } from "chai";
import { network } from "hardhat";
import { AbiCoder, id, Wallet } from "ethers";
import { BPS, JobStatus, Mode, modeBit, Ruling } from "../helpers/constants.js";
import { claimOf, requestedJobs } from "../../src/jobs.js";
import { RESULT_TYPES, resultMessage, signedResultEvidence } from "../../src/tee.js";
import type { RiskGatedPayout } from "../../typechain-types/index.js";
import { deployTeeFixture, MIN_COLLATERAL, ROYALTY, USD } from "../helpers/fixtures.js";
import { deployOptimisticFixture, proposed, trueOutput } from "../helpers/optimistic.js";
import { REFERENCE_IO_SCHEMA_DIGEST } from "../helpers/zk.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const optimisticFixture = () => deployOptimisticFixture(ethers, networkHelpers);
const teeFixture = () => deployTeeFixture(ethers, networkHelpers);

/**
 * Issue 12's three "check" items: what the code does, shown by tests. (a) is documented (docs/threat-model.md,
 * limitation 14), (b) was a stuck balance and is fixed, (c) is documented (limitation 1).
 */
describe("attacks: issue 12 checks", function () {
  it("accept-anything ZK verifier on an OPTIMISTIC+ZK version: resolveByProof rules an honest node wrong and slashes it (documented: nodes must vet a version's verifier)", async function () {
    const f = await networkHelpers.loadFixture(optimisticFixture);
    const TRUE = await trueOutput();
    const forged = await ethers.deployContract("AcceptAnyProofVerifier");
    await f.registry.connect(f.modelOwner).publishVersion(f.modelId, {
      weightsDigest: f.weightsDigest,
      ioSchemaDigest: REFERENCE_IO_SCHEMA_DIGEST,
      artifactURI: "ipfs://mlp.onnx",
      royalty: ROYALTY,
      minCollateral: MIN_COLLATERAL,
      modes: modeBit(Mode.OPTIMISTIC) | modeBit(Mode.ZK),
      zkVerifier: await forged.getAddress(),
      teeMeasurements: [],
    });
    const version = await f.registry.versionCount();
    const p = await proposed(f, version, TRUE);
    await f.disputes.connect(f.challenger).challenge(p.job, p.claim, p.proposal);
    const lie = AbiCoder.defaultAbiCoder().encode(["int256[]"], [[1n, 2n, 3n, 2n]]);
    const junk = AbiCoder.defaultAbiCoder().encode(["uint256[8]"], [[1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]]);
    const stake = await f.staking.totalStakeOf(f.node.address);
    await expect(f.disputes.connect(f.challenger).resolveByProof(p.job, p.claim, p.proposal, lie, junk))
      .to.emit(f.escrow, "JobRefunded")
      .withArgs(p.jobId, p.job.payment, Ruling.NodeWrong, p.job.collateral);
    expect(await f.staking.totalStakeOf(f.node.address)).to.equal(stake - p.job.collateral);
    // The same forged "proof" also pays a direct ZK fulfil of any output: the version is unsound in every mode.
    expect(await f.escrow.jobStatus(p.jobId)).to.equal(JobStatus.Refunded);
  });

  it("missed-deadline compensation credited to a contract requester: RiskGatedPayout (VeritasConsumer) can claim it and withdraw its refunds (it was stuck before)", async function () {
    const f = await networkHelpers.loadFixture(teeFixture);
    const payout = (await ethers.deployContract("RiskGatedPayout", [
      await f.escrow.getAddress(),
      f.modelOwner.address,
    ])) as unknown as RiskGatedPayout;
    const payoutAddr = await payout.getAddress();
    await f.usd.mint(payoutAddr, USD(100));
    await payout.connect(f.modelOwner).fundInference(USD(10));
    const tx = await payout
      .connect(f.modelOwner)
      .requestPayout(f.other.address, USD(5), f.versionId, USD(1), id("features"), "ipfs://features");
    const [{ jobId, job }] = requestedJobs(f.escrow, (await tx.wait())!.logs);
    const claim = claimOf(f.escrow, (await (await f.escrow.connect(f.node).claim(job)).wait())!.logs);
    expect(job.collateral).to.be.greaterThan(0n);
    await time.increaseTo(job.expiresAt); // past the delivery deadline and the final one: slashed, then refunded
    await f.escrow.connect(f.other).reportMissedDeadline(job, claim);
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Expired);
    const share = (job.collateral * 5_000n) / BPS;
    expect(await f.staking.rewardsOf(payoutAddr)).to.equal(share);
    await expect(payout.connect(f.other).claimCompensation(f.other.address))
      .to.be.revertedWithCustomError(payout, "NotOwner")
      .withArgs(f.other.address);
    const vrt = await ethers.getContractAt("VeritasToken", await f.staking.stakingToken());
    await expect(payout.connect(f.modelOwner).claimCompensation(f.modelOwner.address)).to.changeTokenBalances(
      ethers,
      vrt,
      [f.modelOwner, f.staking],
      [share, -share],
    );
    expect(await f.staking.rewardsOf(payoutAddr)).to.equal(0n);
    const balance = await f.escrow.balanceOf(payoutAddr);
    expect(balance).to.equal(USD(10));
    await expect(payout.connect(f.modelOwner).withdrawFromEscrow(balance, f.modelOwner.address)).to.changeTokenBalances(
      ethers,
      f.usd,
      [f.modelOwner, f.escrow],
      [balance, -balance],
    );
  });

  it("self-reported equivocation: a node that front-runs the report against itself from a second account still loses at least half the penalty, and its key is revoked", async function () {
    const f = await networkHelpers.loadFixture(teeFixture);
    const puppet = Wallet.createRandom().connect(ethers.provider);
    await f.requester.sendTransaction({ to: puppet.address, value: 10n ** 18n });
    const a = await f.request();
    const b = await f.request();
    const escrow = await f.escrow.getAddress();
    const sign = (job: typeof a.job, h: string) =>
      f.enclave.key.signTypedData(f.teeDomain, RESULT_TYPES, resultMessage(escrow, job, h));
    const ea = signedResultEvidence(escrow, [a.job], [id("x")], 0, await sign(a.job, id("x")), false);
    const eb = signedResultEvidence(escrow, [b.job], [id("y")], 0, await sign(b.job, id("y")), false);
    const { equivocationSlash, challengerRewardBps } = await f.disputes.params();
    const stake = await f.staking.totalStakeOf(f.node.address);
    const treasury = await f.staking.rewardsOf(await f.staking.treasury());
    // The honest reporter's transaction would come second: the puppet's, with the same evidence, wins.
    await f.disputes.connect(puppet).reportEquivocation(ea, eb);
    await expect(f.disputes.connect(f.other).reportEquivocation(ea, eb))
      .to.be.revertedWithCustomError(f.disputes, "AlreadyReported")
      .withArgs(f.enclave.address);
    const reward = (equivocationSlash * BigInt(challengerRewardBps)) / BPS;
    expect(await f.staking.totalStakeOf(f.node.address)).to.equal(stake - equivocationSlash);
    expect(await f.staking.rewardsOf(puppet.address)).to.equal(reward);
    expect(await f.staking.rewardsOf(await f.staking.treasury())).to.equal(treasury + equivocationSlash - reward);
    // What the node recovers through its puppet is at most MAX_CHALLENGER_REWARD_BPS (50 %) of the penalty.
    expect(equivocationSlash - reward).to.be.greaterThanOrEqual(equivocationSlash / 2n);
    expect((await f.tee.getEnclaveKey(f.enclave.address)).revoked).to.equal(true);
  });
});
