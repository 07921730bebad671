import { expect } from "chai";
import { network } from "hardhat";
import { AbiCoder, keccak256 } from "ethers";
import { JobStatus } from "../helpers/constants.js";
import { NO_CLAIM } from "../../src/jobs.js";
import { signedResultEvidence } from "../../src/tee.js";
import { OUTPUT } from "../helpers/attacks.js";
import { split } from "../helpers/escrow.js";
import { deployTeeFixture, type TeeFixture } from "../helpers/fixtures.js";

const { ethers, networkHelpers } = await network.create();
const teeFixture = () => deployTeeFixture(ethers, networkHelpers);
const OTHER_OUTPUT = AbiCoder.defaultAbiCoder().encode(["int256[]"], [[1n, 2n, 3n, 4n]]);

/**
 * Issue 12, finding 3: "equivocation escapes through batch signatures". `submitBatch` pays for results signed as an
 * EIP-712 `InferenceBatch` (a batch of one included), but `reportEquivocation` rebuilt only the single-result
 * digest: an enclave key that signed every result as a batch could settle two outputs for one (version, input), both
 * paid, and the report reverted with NotEquivocation. The first test below was run against the code before the fix
 * and failed there (NotEquivocation). The fix: evidence (`SignedResult`) may carry the batch's result struct hashes
 * and the result's index, and the dispute manager rebuilds the batch digest exactly as TeeResultVerifier does.
 */
describe("attacks: equivocation through batch signatures", function () {
  let f: TeeFixture;
  let escrowAddr: string;
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(teeFixture);
    escrowAddr = await f.escrow.getAddress();
  });

  it("equivocation through batch signatures: two batches of one over different outputs for one input, both settled, are slashable evidence", async function () {
    const a = await f.request();
    const b = await f.request();
    expect(a.job.inputDigest).to.equal(b.job.inputDigest);
    const sigA = await f.enclave.signBatch(f.teeDomain, escrowAddr, [a.job], [OUTPUT]);
    const sigB = await f.enclave.signBatch(f.teeDomain, escrowAddr, [b.job], [OTHER_OUTPUT]);
    await f.escrow.connect(f.node).submitBatch([a.job], [NO_CLAIM], [OUTPUT], sigA);
    await f.escrow.connect(f.node).submitBatch([b.job], [NO_CLAIM], [OTHER_OUTPUT], sigB);
    expect(await f.escrow.jobStatus(b.jobId)).to.equal(JobStatus.Settled);
    expect(await f.escrow.balanceOf(f.node.address)).to.equal(2n * split(a.job).nodeFee);

    const ea = signedResultEvidence(escrowAddr, [a.job], [keccak256(OUTPUT)], 0, sigA, true);
    const eb = signedResultEvidence(escrowAddr, [b.job], [keccak256(OTHER_OUTPUT)], 0, sigB, true);
    const stake = await f.staking.totalStakeOf(f.node.address);
    const penalty = (await f.disputes.params()).equivocationSlash;
    expect(penalty).to.be.greaterThan(0n);
    await expect(f.disputes.connect(f.other).reportEquivocation(ea, eb))
      .to.emit(f.disputes, "EquivocationReported")
      .withArgs(
        f.node.address,
        f.enclave.address,
        a.job.versionId,
        a.job.inputDigest,
        keccak256(OUTPUT),
        keccak256(OTHER_OUTPUT),
        f.other.address,
        penalty,
      );
    expect(await f.staking.totalStakeOf(f.node.address)).to.equal(stake - penalty);
    expect((await f.tee.getEnclaveKey(f.enclave.address)).revoked).to.equal(true);
    // The revoked key's results are refused from now on.
    const c = await f.request();
    const sigC = await f.enclave.signBatch(f.teeDomain, escrowAddr, [c.job], [OUTPUT]);
    await expect(f.escrow.connect(f.node).submitBatch([c.job], [NO_CLAIM], [OUTPUT], sigC))
      .to.be.revertedWithCustomError(f.tee, "EnclaveKeyRevokedError")
      .withArgs(f.enclave.address);
  });

  it("equivocation through batch signatures: a single-result signature against one result inside a larger batch counts too", async function () {
    const a = await f.request();
    const others = [await f.request({ inputDigest: keccak256("0x01") }), await f.request()];
    const sigA = await f.enclave.signResult(f.teeDomain, escrowAddr, a.job, OUTPUT);
    const jobs = others.map((o) => o.job);
    const outputs = [OUTPUT, OTHER_OUTPUT];
    const sigBatch = await f.enclave.signBatch(f.teeDomain, escrowAddr, jobs, outputs);
    const ea = signedResultEvidence(escrowAddr, [a.job], [keccak256(OUTPUT)], 0, sigA, false);
    const hashes = outputs.map((o) => keccak256(o));
    const eb = signedResultEvidence(escrowAddr, jobs, hashes, 1, sigBatch, true);
    await expect(f.disputes.connect(f.other).reportEquivocation(eb, ea)).to.emit(f.disputes, "EquivocationReported");
    expect(await f.disputes.isEquivocated(f.enclave.address)).to.equal(true);
  });

  it("equivocation through batch signatures: evidence whose leaf at `index` is not the reported result fails with InvalidBatchEvidence", async function () {
    const a = await f.request();
    const b = await f.request();
    const jobs = [a.job, b.job];
    const hashes = [keccak256(OUTPUT), keccak256(OTHER_OUTPUT)];
    const sig = await f.enclave.signBatch(f.teeDomain, escrowAddr, jobs, [OUTPUT, OTHER_OUTPUT]);
    const e0 = signedResultEvidence(escrowAddr, jobs, hashes, 0, sig, true);
    const e1 = signedResultEvidence(escrowAddr, jobs, hashes, 1, sig, true);
    await expect(f.disputes.reportEquivocation({ ...e0, index: 1n }, e1))
      .to.be.revertedWithCustomError(f.disputes, "InvalidBatchEvidence")
      .withArgs(1n);
    await expect(f.disputes.reportEquivocation(e0, { ...e1, index: 2n }))
      .to.be.revertedWithCustomError(f.disputes, "InvalidBatchEvidence")
      .withArgs(2n);
    // A batch signature presented as a single-result one recovers another key: not evidence.
    await expect(f.disputes.reportEquivocation(e0, { ...e1, batch: [], index: 0n })).to.be.revertedWithCustomError(
      f.disputes,
      "NotEquivocation",
    );
    // Both results of one batch signature over different outputs for the same input are evidence.
    await expect(f.disputes.reportEquivocation(e0, e1)).to.emit(f.disputes, "EquivocationReported");
  });
});
