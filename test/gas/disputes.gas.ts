import { expect } from "chai";
import { network } from "hardhat";
import { writeFileSync } from "node:fs";
import { AbiCoder, id, Wallet, type ContractTransactionResponse } from "ethers";
import { JobStatus, Mode } from "../../scripts/lib/constants.js";
import { claimOf, proposalOf, requestedJobs, type Claim, type Job, type Proposal } from "../../scripts/lib/jobs.js";
import { proveJob } from "../../scripts/lib/zk/escrow.js";
import { RESULT_TYPES, resultMessage, SimulatedEnclave, teeResultDomain } from "../../scripts/lib/tee.js";
import { MEASUREMENT, registerEnclave } from "../helpers/fixtures.js";
import { deployOptimisticFixture, trueOutput, type OptimisticFixture } from "../helpers/optimistic.js";
import { ZK_INPUT, ZK_INPUT_DIGEST } from "../helpers/zk.js";

/**
 * Gas of the optimistic path and of disputes, from transaction receipts (`gasUsed`: the whole transaction, including
 * the intrinsic 21,000 and calldata). Every figure is taken in a steady state: a warm-up transaction of the same kind
 * first, so first-time storage writes (a requester's first nonce, a node's first earnings, a model's first royalty, the
 * dispute manager's first bond) are not counted. Prints a table; with VERITAS_GAS_DOC=1 also rewrites docs/gas.md.
 * Asserts only relations that must hold, never hard-coded figures.
 */
const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const fixture = () => deployOptimisticFixture(ethers, networkHelpers);
const WRONG = AbiCoder.defaultAbiCoder().encode(["int256[]"], [[1n, 2n, 3n, 2n]]);
const NO_CLAIM: Claim = { node: "0x0000000000000000000000000000000000000000", deliverBy: 0n };
const BATCH = 50;

type Row = { op: string; gas: bigint; note?: string };
const rows: Row[] = [];

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  return receipt!.gasUsed;
}

const fmt = (g: bigint) => g.toLocaleString("en-US");

function table(): string {
  const lines = ["| operation | gasUsed | note |", "|---|---:|---|"];
  for (const r of rows) lines.push(`| ${r.op} | ${fmt(r.gas)} | ${r.note ?? ""} |`);
  return lines.join("\n");
}

describe("Gas: optimistic results and disputes", function () {
  this.timeout(300_000);
  let f: OptimisticFixture;
  let TRUE: string;

  before(async function () {
    TRUE = await trueOutput();
  });
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
  });
  after(function () {
    if (rows.length === 0) return;
    console.log(`\n${table()}\n`);
    if (process.env.VERITAS_GAS_DOC) writeGasDoc();
  });

  /** A job of `versionId` proposed (claim-and-propose) by `node` with `output`. */
  async function proposed(versionId: bigint, output: string, node = f.node) {
    const { jobId, job } = await f.requestOptimistic(versionId);
    const { claim, proposal } = await f.propose(job, output, node);
    return { jobId, job, claim, proposal };
  }

  async function finalized(p: { job: Job; claim: Claim; proposal: Proposal }, output: string) {
    await time.increaseTo(p.proposal.challengeEnds);
    return gasOf(f.escrow.finalize(p.job, p.claim, p.proposal, output));
  }

  it("request, propose (claim-and-propose; after a claim), finalize", async function () {
    // Warm-up: the requester's first request, the node's first proposal and settlement, the model's first royalty.
    await finalized(await proposed(f.plainVersion, TRUE), TRUE);

    const a = await f.requestOptimistic(f.plainVersion);
    const requestReceipt = await (
      await f.escrow.connect(f.requester).requestInference({
        versionId: f.plainVersion,
        mode: Mode.OPTIMISTIC,
        node: NO_CLAIM.node,
        payment: a.job.payment,
        deliveryWindow: 600n,
        expiresAt: BigInt(await time.latest()) + 3600n,
        callbackGasLimit: 0n,
        inputDigest: ZK_INPUT_DIGEST,
        inputURI: `data:application/json,${JSON.stringify(ZK_INPUT)}`,
      })
    ).wait();
    const requestGas = requestReceipt!.gasUsed;
    const [{ jobId: jobIdB, job: jobB }] = requestedJobs(f.escrow, requestReceipt!.logs);

    const proposeReceipt = await (await f.escrow.connect(f.node).proposeResult(a.job, NO_CLAIM, TRUE)).wait();
    const claimAndPropose = proposeReceipt!.gasUsed;

    const claimReceipt = await (await f.escrow.connect(f.node).claim(jobB)).wait();
    const claimB = claimOf(f.escrow, claimReceipt!.logs);
    const proposeAfterClaim = await gasOf(f.escrow.connect(f.node).proposeResult(jobB, claimB, TRUE));
    expect(await f.escrow.jobStatus(jobIdB)).to.equal(JobStatus.Proposed);

    const claimA = claimOf(f.escrow, proposeReceipt!.logs);
    const { outputHash, challengeEnds } = proposalOf(f.escrow, proposeReceipt!.logs);
    const proposalA = { outputHash, challengeEnds };
    const finalizeGas = await finalized({ job: a.job, claim: claimA, proposal: proposalA }, TRUE);
    expect(await f.escrow.jobStatus(a.jobId)).to.equal(JobStatus.Settled);

    rows.push(
      { op: "requestInference (optimistic, prepaid)", gas: requestGas, note: "not the requester's first" },
      { op: "proposeResult: claim-and-propose", gas: claimAndPropose, note: "locks collateral in the same call" },
      { op: "claim", gas: claimReceipt!.gasUsed, note: "for propose-after-claim" },
      { op: "proposeResult after a separate claim", gas: proposeAfterClaim },
      { op: "claim + proposeResult (two transactions)", gas: claimReceipt!.gasUsed + proposeAfterClaim },
      { op: "finalize (single)", gas: finalizeGas, note: "unchallenged, after the window" },
    );
    // Claim-and-propose saves a transaction and a second write of the job's slot.
    expect(claimAndPropose).to.be.lessThan(claimReceipt!.gasUsed + proposeAfterClaim);
  });

  it(`finalizeBatch of ${BATCH} costs less per job than a single finalize`, async function () {
    await finalized(await proposed(f.plainVersion, TRUE), TRUE); // warm-up
    const single = await finalized(await proposed(f.plainVersion, TRUE), TRUE);
    const batch: { jobId: bigint; job: Job; claim: Claim; proposal: Proposal }[] = [];
    for (let i = 0; i < BATCH; i++) batch.push(await proposed(f.plainVersion, TRUE));
    await time.increaseTo(batch[BATCH - 1].proposal.challengeEnds);
    const total = await gasOf(
      f.escrow.finalizeBatch(
        batch.map((p) => p.job),
        batch.map((p) => p.claim),
        batch.map((p) => p.proposal),
        batch.map(() => TRUE),
      ),
    );
    for (const p of batch) expect(await f.escrow.jobStatus(p.jobId)).to.equal(JobStatus.Settled);
    const perJob = total / BigInt(BATCH);
    rows.push(
      { op: `finalizeBatch of ${BATCH}: total`, gas: total },
      { op: `finalizeBatch of ${BATCH}: per job`, gas: perJob, note: `vs ${fmt(single)} for a single finalize` },
    );
    expect(perJob).to.be.lessThan(single);
  });

  it("challenge, arbitrate (node wrong; node right), resolveTimeout", async function () {
    const warm = await proposed(f.plainVersion, TRUE);
    await f.disputes.connect(f.challenger).challenge(warm.job, warm.claim, warm.proposal); // the first bond held
    const wrong = await proposed(f.plainVersion, WRONG);
    const right = await proposed(f.plainVersion, TRUE);
    const idle = await proposed(f.plainVersion, WRONG);
    const challengeGas = await gasOf(
      f.disputes.connect(f.challenger).challenge(wrong.job, wrong.claim, wrong.proposal),
    );
    await f.disputes.connect(f.challenger).challenge(right.job, right.claim, right.proposal);
    await f.disputes.connect(f.challenger).challenge(idle.job, idle.claim, idle.proposal);

    const nodeWrong = await gasOf(
      f.disputes.connect(f.governance).arbitrate(wrong.job, wrong.claim, wrong.proposal, false, "0x"),
    );
    const nodeRight = await gasOf(
      f.disputes.connect(f.governance).arbitrate(right.job, right.claim, right.proposal, true, TRUE),
    );
    expect(await f.escrow.jobStatus(wrong.jobId)).to.equal(JobStatus.Refunded);
    expect(await f.escrow.jobStatus(right.jobId)).to.equal(JobStatus.Settled);

    await time.increaseTo((await f.disputes.disputeOf(idle.jobId)).deadline);
    const timeout = await gasOf(f.disputes.connect(f.other).resolveTimeout(idle.job, idle.claim, idle.proposal));
    expect(await f.escrow.jobStatus(idle.jobId)).to.equal(JobStatus.Refunded);

    rows.push(
      { op: "challenge", gas: challengeGas, note: "bond pulled into the dispute manager" },
      { op: "arbitrate: node wrong", gas: nodeWrong, note: "slash, refund, bond back to the challenger" },
      { op: "arbitrate: node right", gas: nodeRight, note: "settle, bond to the node" },
      { op: "resolveTimeout (draw)", gas: timeout, note: "refund, bond back, no slash" },
    );
  });

  it("resolveByProof (node wrong; node right) with real Groth16 proofs", async function () {
    const warm = await proposed(f.provableVersion, TRUE);
    await f.disputes.connect(f.challenger).challenge(warm.job, warm.claim, warm.proposal);
    const wrong = await proposed(f.provableVersion, WRONG);
    const right = await proposed(f.provableVersion, TRUE);
    await f.disputes.connect(f.challenger).challenge(wrong.job, wrong.claim, wrong.proposal);
    await f.disputes.connect(f.challenger).challenge(right.job, right.claim, right.proposal);
    const escrow = await f.escrow.getAddress();
    const pw = await proveJob(wrong.job, f.node.address, ZK_INPUT, f.chainId, escrow);
    const pr = await proveJob(right.job, f.node.address, ZK_INPUT, f.chainId, escrow);
    expect(pw.output).to.equal(TRUE);

    const nodeWrong = await gasOf(
      f.disputes.connect(f.other).resolveByProof(wrong.job, wrong.claim, wrong.proposal, pw.output, pw.proof),
    );
    const nodeRight = await gasOf(
      f.disputes.connect(f.other).resolveByProof(right.job, right.claim, right.proposal, pr.output, pr.proof),
    );
    expect(await f.escrow.jobStatus(wrong.jobId)).to.equal(JobStatus.Refunded);
    expect(await f.escrow.jobStatus(right.jobId)).to.equal(JobStatus.Settled);
    rows.push(
      { op: "resolveByProof: node wrong", gas: nodeWrong, note: "Groth16 verification + slash + refund" },
      { op: "resolveByProof: node right", gas: nodeRight, note: "Groth16 verification + settle" },
    );
    // The proof's verification comes on top of the same settlement or refund an arbitrator's ruling makes.
    const a = await proposed(f.plainVersion, WRONG);
    await f.disputes.connect(f.challenger).challenge(a.job, a.claim, a.proposal);
    const arbitrated = await gasOf(f.disputes.connect(f.governance).arbitrate(a.job, a.claim, a.proposal, false, "0x"));
    expect(nodeWrong).to.be.greaterThan(arbitrated);
  });

  it("reportEquivocation", async function () {
    const key = new Wallet(id("enclave-equivocating"));
    const service = new Wallet(id("veritas-test-attestation-service"));
    await f.attestation.connect(f.governance).setAttestationSigner(service.address, true);
    await f.tee.connect(f.governance).approveMeasurement(MEASUREMENT, "m");
    await registerEnclave(f, service, f.node, new SimulatedEnclave(MEASUREMENT, key));
    const domain = teeResultDomain(f.chainId, await f.teeVerifier.getAddress());
    const escrow = await f.escrow.getAddress();
    const signed = async (job: Job, outputHash: string) => ({
      jobId: (BigInt(job.requester) << 32n) | job.nonce,
      versionId: job.versionId,
      inputHash: job.inputDigest,
      outputHash,
      signature: await key.signTypedData(domain, RESULT_TYPES, resultMessage(escrow, job, outputHash)),
    });
    const a = await f.request();
    const b = await f.request();
    const before = await f.staking.totalStakeOf(f.node.address);
    const gas = await gasOf(
      f.disputes.connect(f.other).reportEquivocation(await signed(a.job, id("a")), await signed(b.job, id("b"))),
    );
    expect(await f.staking.totalStakeOf(f.node.address)).to.be.lessThan(before);
    expect((await f.tee.getEnclaveKey(key.address)).revoked).to.equal(true);
    rows.push({ op: "reportEquivocation", gas, note: "two EIP-712 recoveries, key revoked, free stake slashed" });
  });
});

function writeGasDoc(): void {
  const date = new Date().toISOString().slice(0, 10);
  const doc = `# Gas: optimistic results and disputes

Measured ${date} with \`VERITAS_GAS_DOC=1 npx hardhat test mocha test/gas/disputes.gas.ts\` (the same test without the
variable only prints the table). Measured on Hardhat's in-process chain, solc 0.8.30, 800 runs, viaIR.

Figures are transaction receipts' \`gasUsed\`: the whole transaction, including the intrinsic 21,000 and calldata.
Each is taken in a steady state (a warm-up transaction of the same kind first, so a requester's first nonce, a node's
first earnings, a model's first royalty or the dispute manager's first bond are not counted). The jobs are those of
\`test/helpers/optimistic.ts\`: a 1 USD payment, a 0.05 USD royalty, 100 VRT of collateral, no callback; proofs are
real Groth16 proofs of the reference model (\`scripts/lib/zk/escrow.ts\` \`proveJob\`). Figures move by a few
tens of gas between runs: block timestamps (challenge-window ends) and proof bytes change how many calldata bytes are
zero.

${table()}

The test asserts only relations that must hold: a batch finalize costs less per job than a single finalize,
claim-and-propose costs less than a claim and a proposal in two transactions, and a node-wrong ruling by proof costs
more than the same ruling by the arbitrator.
`;
  writeFileSync(new URL("../../docs/gas.md", import.meta.url), doc);
}
