import { expect } from "chai";
import { AbiCoder, id, Wallet, type ContractTransactionResponse, type TransactionReceipt } from "ethers";
import { JobStatus } from "./constants.js";
import { claimOf, NO_CLAIM, proposalOf, requestedJobs, type Job } from "../../src/jobs.js";
import {
  BATCH_TYPES,
  RESULT_TYPES,
  resultMessage,
  signedResultEvidence,
  SimulatedEnclave,
  teeResultDomain,
} from "../../src/tee.js";
import { proveJob } from "../../zk/lib/escrow.js";
import { MEASUREMENT, registerEnclave } from "./fixtures.js";
import { proposed, type OptimisticFixture, type Proposed } from "./optimistic.js";
import { ZK_INPUT } from "./zk.js";

/**
 * Gas scenarios shared by `scripts/bench-gas.ts` (the benchmark and its snapshot) and `test/gas/disputes.gas.ts` (the
 * relations that must hold). Figures are receipts' `gasUsed`: the whole transaction, including the 21,000 base and
 * calldata. Each is taken in a steady state: a warm-up transaction of the same kind runs first, so first-time storage
 * writes (a requester's first nonce, a node's first earnings, a model's first royalty, the dispute manager's first
 * bond) are not counted. The scenarios check the state they reach (a wrong figure is worse than none).
 */
export type Figures = Record<string, bigint>;

/** A wrong output of the reference model (the true one is `trueOutput()`). */
export const WRONG_OUTPUT = AbiCoder.defaultAbiCoder().encode(["int256[]"], [[1n, 2n, 3n, 2n]]);

export async function receiptOf(tx: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt;
}

export async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  return (await receiptOf(tx)).gasUsed;
}

/** Calldata gas of `data` (EIP-2028: 4 per zero byte, 16 per other byte). */
export function calldataGas(data: string): bigint {
  let gas = 0n;
  for (let i = 2; i < data.length; i += 2) gas += data.slice(i, i + 2) === "00" ? 4n : 16n;
  return gas;
}

async function finalized(f: OptimisticFixture, p: Proposed, output: string): Promise<bigint> {
  await f.helpers.time.increaseTo(p.proposal.challengeEnds);
  return gasOf(f.escrow.finalize(p.job, p.claim, p.proposal, output));
}

/**
 * Optimistic: request (prepaid), claim, propose after the claim, finalize (single).
 * Keys: optimistic.request, optimistic.claim, optimistic.proposeAfterClaim, optimistic.finalize.
 */
export async function optimisticFigures(f: OptimisticFixture, output: string): Promise<Figures> {
  // Warm-up: the requester's first request, the node's first proposal and settlement, the model's first royalty.
  await finalized(f, await proposed(f, f.plainVersion, output), output);
  const a = await f.requestOptimistic(f.plainVersion);
  const requestReceipt = await receiptOf(
    f.escrow.connect(f.requester).requestInference({
      versionId: f.plainVersion,
      mode: a.job.mode,
      node: NO_CLAIM.node,
      payment: a.job.payment,
      deliveryWindow: a.job.deliveryWindow,
      expiresAt: BigInt(await f.helpers.time.latest()) + 3600n,
      callbackGasLimit: 0n,
      inputDigest: a.job.inputDigest,
      inputURI: `data:application/json,${JSON.stringify(ZK_INPUT)}`,
    }),
  );
  const [{ job: jobB }] = requestedJobs(f.escrow, requestReceipt.logs);
  // Claim first, then propose (the escrow has no claim-and-propose: a proposal is bound to its claimer).
  const claimReceipt = await receiptOf(f.escrow.connect(f.node).claim(jobB));
  const claimB = claimOf(f.escrow, claimReceipt.logs);
  const proposeReceipt = await receiptOf(f.escrow.connect(f.node).proposeResult(jobB, claimB, output));
  const proposeAfterClaim = proposeReceipt.gasUsed;
  expect(await f.escrow.jobStatus(await f.escrow.jobIdOf(jobB))).to.equal(JobStatus.Proposed);
  const { outputHash, challengeEnds } = proposalOf(f.escrow, proposeReceipt.logs);
  const jobIdB = await f.escrow.jobIdOf(jobB);
  const finalize = await finalized(
    f,
    { jobId: jobIdB, job: jobB, claim: claimB, proposal: { outputHash, challengeEnds } },
    output,
  );
  expect(await f.escrow.jobStatus(jobIdB)).to.equal(JobStatus.Settled);
  expect(await f.escrow.jobStatus(a.jobId)).to.equal(JobStatus.Open);
  return {
    "optimistic.request": requestReceipt.gasUsed,
    "optimistic.claim": claimReceipt.gasUsed,
    "optimistic.proposeAfterClaim": proposeAfterClaim,
    "optimistic.finalize": finalize,
  };
}

/** finalizeBatch of `n` proposals. Keys: optimistic.finalizeBatch<n>.total and .perJob. */
export async function finalizeBatchFigures(f: OptimisticFixture, output: string, n: number): Promise<Figures> {
  await finalized(f, await proposed(f, f.plainVersion, output), output); // warm-up
  const batch: Proposed[] = [];
  for (let i = 0; i < n; i++) batch.push(await proposed(f, f.plainVersion, output));
  await f.helpers.time.increaseTo(batch[n - 1].proposal.challengeEnds);
  const total = await gasOf(
    f.escrow.finalizeBatch(
      batch.map((p) => p.job),
      batch.map((p) => p.claim),
      batch.map((p) => p.proposal),
      batch.map(() => output),
    ),
  );
  for (const p of batch) expect(await f.escrow.jobStatus(p.jobId)).to.equal(JobStatus.Settled);
  return {
    [`optimistic.finalizeBatch${n}.total`]: total,
    [`optimistic.finalizeBatch${n}.perJob`]: total / BigInt(n),
  };
}

/** challenge, arbitrate (node wrong; node right), resolveTimeout. Keys: dispute.*. */
export async function disputeFigures(f: OptimisticFixture, output: string): Promise<Figures> {
  const warm = await proposed(f, f.plainVersion, output);
  await f.disputes.connect(f.challenger).challenge(warm.job, warm.claim, warm.proposal); // the first bond held
  const wrong = await proposed(f, f.plainVersion, WRONG_OUTPUT);
  const right = await proposed(f, f.plainVersion, output);
  const idle = await proposed(f, f.plainVersion, WRONG_OUTPUT);
  const challenge = await gasOf(f.disputes.connect(f.challenger).challenge(wrong.job, wrong.claim, wrong.proposal));
  await f.disputes.connect(f.challenger).challenge(right.job, right.claim, right.proposal);
  await f.disputes.connect(f.challenger).challenge(idle.job, idle.claim, idle.proposal);
  const arbitrate = f.disputes.connect(f.governance).arbitrate;
  const nodeWrong = await gasOf(arbitrate(wrong.job, wrong.claim, wrong.proposal, false, "0x"));
  const nodeRight = await gasOf(arbitrate(right.job, right.claim, right.proposal, true, output));
  expect(await f.escrow.jobStatus(wrong.jobId)).to.equal(JobStatus.Refunded);
  expect(await f.escrow.jobStatus(right.jobId)).to.equal(JobStatus.Settled);
  await f.helpers.time.increaseTo((await f.disputes.disputeOf(idle.jobId)).deadline);
  const timeout = await gasOf(f.disputes.connect(f.other).resolveTimeout(idle.job, idle.claim, idle.proposal));
  expect(await f.escrow.jobStatus(idle.jobId)).to.equal(JobStatus.Refunded);
  return {
    "dispute.challenge": challenge,
    "dispute.arbitrate.nodeWrong": nodeWrong,
    "dispute.arbitrate.nodeRight": nodeRight,
    "dispute.resolveTimeout": timeout,
  };
}

/** resolveByProof (node wrong; node right) with real Groth16 proofs. Keys: dispute.byProof.*. */
export async function proofDisputeFigures(f: OptimisticFixture, output: string): Promise<Figures> {
  const warm = await proposed(f, f.provableVersion, output);
  await f.disputes.connect(f.challenger).challenge(warm.job, warm.claim, warm.proposal);
  const wrong = await proposed(f, f.provableVersion, WRONG_OUTPUT);
  const right = await proposed(f, f.provableVersion, output);
  await f.disputes.connect(f.challenger).challenge(wrong.job, wrong.claim, wrong.proposal);
  await f.disputes.connect(f.challenger).challenge(right.job, right.claim, right.proposal);
  const escrow = await f.escrow.getAddress();
  const pw = await proveJob(wrong.job, f.node.address, ZK_INPUT, f.chainId, escrow);
  const pr = await proveJob(right.job, f.node.address, ZK_INPUT, f.chainId, escrow);
  expect(pw.output).to.equal(output);
  const resolve = f.disputes.connect(f.other).resolveByProof;
  const nodeWrong = await gasOf(resolve(wrong.job, wrong.claim, wrong.proposal, pw.output, pw.proof));
  const nodeRight = await gasOf(resolve(right.job, right.claim, right.proposal, pr.output, pr.proof));
  expect(await f.escrow.jobStatus(wrong.jobId)).to.equal(JobStatus.Refunded);
  expect(await f.escrow.jobStatus(right.jobId)).to.equal(JobStatus.Settled);
  return { "dispute.byProof.nodeWrong": nodeWrong, "dispute.byProof.nodeRight": nodeRight };
}

/**
 * The two-step cancel of an open TEE job: requestCancel, then cancel after the grace period.
 * Keys: cancel.request, cancel.cancel, and cancel.total (both).
 */
export async function cancelFigures(f: OptimisticFixture): Promise<Figures> {
  const out: Figures = {};
  for (const key of ["warm-up", "measured"]) {
    const { jobId, job } = await f.request();
    const request = await gasOf(f.escrow.connect(f.requester).requestCancel(job));
    await f.helpers.time.increaseTo(await f.escrow.cancellableAt(jobId));
    const cancel = await gasOf(f.escrow.connect(f.requester).cancel(job));
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Cancelled);
    if (key === "measured") {
      out["cancel.request"] = request;
      out["cancel.cancel"] = cancel;
      out["cancel.total"] = request + cancel;
    }
  }
  return out;
}

/** Approves the fixture's measurement with a test attestation service; returns the service. */
export async function enableTee(f: OptimisticFixture): Promise<Wallet> {
  const service = new Wallet(id("veritas-test-attestation-service"));
  await f.attestation.connect(f.governance).setAttestationSigner(service.address, true);
  await f.tee.connect(f.governance).approveMeasurement(MEASUREMENT, "m");
  return service;
}

/**
 * reportEquivocation by a fresh enclave key of `f.node` (revokes that key and slashes the node's free stake).
 * `service` is enableTee's. Key: dispute.reportEquivocation.
 */
export async function equivocationFigures(f: OptimisticFixture, service: Wallet): Promise<Figures> {
  const key = new Wallet(id("enclave-equivocating"));
  await registerEnclave(f, service, f.node, new SimulatedEnclave(MEASUREMENT, key));
  const domain = teeResultDomain(f.chainId, await f.teeVerifier.getAddress());
  const escrow = await f.escrow.getAddress();
  const signed = async (job: Job, outputHash: string) =>
    signedResultEvidence(
      escrow,
      [job],
      [outputHash],
      0,
      await key.signTypedData(domain, RESULT_TYPES, resultMessage(escrow, job, outputHash)),
      false,
    );
  const a = await f.request();
  const b = await f.request();
  const before = await f.staking.totalStakeOf(f.node.address);
  const gas = await gasOf(
    f.disputes.connect(f.other).reportEquivocation(await signed(a.job, id("a")), await signed(b.job, id("b"))),
  );
  expect(await f.staking.totalStakeOf(f.node.address)).to.be.lessThan(before);
  expect((await f.tee.getEnclaveKey(key.address)).revoked).to.equal(true);
  // The same with two batch signatures (a batch of one, and result 1 of a batch of two) of another key.
  const key2 = new Wallet(id("enclave-equivocating-batch"));
  await registerEnclave(f, service, f.node, new SimulatedEnclave(MEASUREMENT, key2));
  const c = await f.request();
  const d = await f.request();
  const e = await f.request();
  const batchSig = (jobs: Job[], hashes: string[]) =>
    key2.signTypedData(domain, BATCH_TYPES, { results: jobs.map((j, i) => resultMessage(escrow, j, hashes[i])) });
  const one = signedResultEvidence(escrow, [c.job], [id("c")], 0, await batchSig([c.job], [id("c")]), true);
  const pair = [e.job, d.job];
  const pairHashes = [id("e"), id("d")];
  const two = signedResultEvidence(escrow, pair, pairHashes, 1, await batchSig(pair, pairHashes), true);
  const batchGas = await gasOf(f.disputes.connect(f.other).reportEquivocation(one, two));
  expect((await f.tee.getEnclaveKey(key2.address)).revoked).to.equal(true);
  return { "dispute.reportEquivocation": gas, "dispute.reportEquivocation.batch": batchGas };
}
