import { AbiCoder, keccak256, type Log, type Result } from "ethers";
import type { IInferenceEscrow, InferenceEscrow } from "../../typechain-types/index.js";

export type Job = {
  requester: string;
  nonce: bigint;
  versionId: bigint;
  callbackGasLimit: bigint;
  node: string;
  mode: bigint;
  modelId: bigint;
  payment: bigint;
  royalty: bigint;
  feeBps: bigint;
  collateral: bigint;
  deliveryWindow: bigint;
  expiresAt: bigint;
  inputDigest: string;
  challengeWindow: bigint;
};
export type Claim = { node: string; deliverBy: bigint };

export type Proposal = { outputHash: string; challengeEnds: bigint };

export const NO_CLAIM: Claim = { node: "0x0000000000000000000000000000000000000000", deliverBy: 0n };

/** A plain, mutable copy of a job decoded from an event or a call result. */
export function toJob(r: IInferenceEscrow.JobStructOutput | Result): Job {
  const o = (r as Result).toObject() as Job;
  return { ...o };
}

/** The job id: the requester in the high bits, its nonce in the low 32 (JobIdLib.from). */
export function jobIdOf(job: Pick<Job, "requester" | "nonce">): bigint {
  return (BigInt(job.requester) << 32n) | job.nonce;
}

const JOB_TUPLE =
  "tuple(address requester,uint32 nonce,uint64 versionId,uint32 callbackGasLimit,address node,uint8 mode,uint48 modelId,uint96 payment,uint96 royalty,uint16 feeBps,uint96 collateral,uint40 deliveryWindow,uint40 expiresAt,bytes32 inputDigest,uint40 challengeWindow)";
const CLAIM_TUPLE = "tuple(address node,uint40 deliverBy)";

/** The commitment the escrow stores for a job in `status` (InferenceEscrow._commitment). */
export function jobCommitment(job: Job, claim: Claim, status: bigint): string {
  const h = BigInt(keccak256(AbiCoder.defaultAbiCoder().encode([JOB_TUPLE, CLAIM_TUPLE], [job, claim])));
  return "0x" + (((h >> 8n) << 8n) | status).toString(16).padStart(64, "0");
}

/** The jobs requested in a receipt's logs. */
export function requestedJobs(escrow: InferenceEscrow, logs: readonly Log[]): { jobId: bigint; job: Job; inputURI: string }[] {
  const out: { jobId: bigint; job: Job; inputURI: string }[] = [];
  for (const log of logs) {
    const parsed = escrow.interface.parseLog(log);
    if (parsed?.name === "JobRequested") {
      out.push({ jobId: parsed.args.jobId, job: toJob(parsed.args.job), inputURI: parsed.args.inputURI });
    }
  }
  return out;
}

/** The commitment the escrow stores for a proposed or disputed job. */
export function proposalCommitment(job: Job, claim: Claim, proposal: Proposal, status: bigint): string {
  const h = BigInt(
    keccak256(
      AbiCoder.defaultAbiCoder().encode(
        [JOB_TUPLE, CLAIM_TUPLE, "tuple(bytes32 outputHash,uint40 challengeEnds)"],
        [job, claim, proposal],
      ),
    ),
  );
  return "0x" + (((h >> 8n) << 8n) | status).toString(16).padStart(64, "0");
}

/** The proposal recorded by a `ResultProposed` event in a receipt's logs. */
export function proposalOf(escrow: InferenceEscrow, logs: readonly Log[]): Proposal & { output: string } {
  for (const log of logs) {
    const parsed = escrow.interface.parseLog(log);
    if (parsed?.name === "ResultProposed") {
      return { outputHash: parsed.args.outputHash, challengeEnds: parsed.args.challengeEnds, output: parsed.args.output };
    }
  }
  throw new Error("no ResultProposed event in these logs");
}

/** The claim recorded by a `JobClaimed` event in a receipt's logs. */
export function claimOf(escrow: InferenceEscrow, logs: readonly Log[]): Claim {
  for (const log of logs) {
    const parsed = escrow.interface.parseLog(log);
    if (parsed?.name === "JobClaimed") return { node: parsed.args.node, deliverBy: parsed.args.deliverBy };
  }
  throw new Error("no JobClaimed event in these logs");
}
