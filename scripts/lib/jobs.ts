import { AbiCoder, keccak256, type Log } from "ethers";
import type { InferenceEscrow } from "../../typechain-types/index.js";
import { toJob, type Claim, type Job, type Proposal } from "../../src/jobs.js";

// The job types and id helpers are the published client's (src/jobs.ts); this module adds what tests and scripts
// need on top: commitments as the escrow stores them, and decoding of receipts' logs.
export { jobIdOf, NO_CLAIM, splitJobId, toJob, type Claim, type Job, type Proposal } from "../../src/jobs.js";

const JOB_TUPLE =
  "tuple(address requester,uint32 nonce,uint64 versionId,uint32 callbackGasLimit,address node,uint8 mode,uint48 modelId,uint96 payment,uint96 royalty,uint16 feeBps,uint96 collateral,uint40 deliveryWindow,uint40 expiresAt,bytes32 inputDigest,uint40 challengeWindow)";
const CLAIM_TUPLE = "tuple(address node,uint40 deliverBy)";

/** The commitment the escrow stores for a job in `status` (InferenceEscrow._commitment). */
export function jobCommitment(job: Job, claim: Claim, status: bigint): string {
  const h = BigInt(keccak256(AbiCoder.defaultAbiCoder().encode([JOB_TUPLE, CLAIM_TUPLE], [job, claim])));
  return "0x" + (((h >> 8n) << 8n) | status).toString(16).padStart(64, "0");
}

/** The jobs requested in a receipt's logs. */
export function requestedJobs(
  escrow: InferenceEscrow,
  logs: readonly Log[],
): { jobId: bigint; job: Job; inputURI: string }[] {
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
      return {
        outputHash: parsed.args.outputHash,
        challengeEnds: parsed.args.challengeEnds,
        output: parsed.args.output,
      };
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
