/**
 * Proofs of the reference ZK model ready for `InferenceEscrow.submitResult(job, claim, output, proof)` and for the
 * ERC-7992 adapter. The tags and the proof bytes are the SDK's (src/zk.ts), restated here:
 *
 *   jobTag = uint256(keccak256(abi.encode(JOB_TAG_DOMAIN, chainId, escrow, jobId, requester, node, versionId,
 *            inputDigest))) mod r,   JOB_TAG_DOMAIN = keccak256("veritas/zk/job-tag/v1")
 *
 * `node` is the account that submits the result (msg.sender of submitResult, the claimer or the direct fulfiller).
 * The escrow rebuilds the public signals itself from the output it records, the version's weightsDigest, the job's
 * inputDigest and this tag; so the output and proof bytes are all a node sends.
 *
 * The ERC-7992 adapter binds its proofs to the caller instead of a job:
 *   tag = uint256(keccak256(abi.encode(ERC7992_TAG_DOMAIN, chainId, adapter, caller, modelId, inputCommitment))) mod r
 */
import type { TaggedJob } from "../../src/zk.js";
import { encodeProof, erc7992TagOf, jobTagOf, toBytes32 } from "../../src/zk.js";
import { inputCommitment } from "./commitment.js";
import { encodeOutput, proveInference, type ProveOptions, type ProveResult } from "./prover.js";

export type EncodedProof = {
  /** abi.encode(int256[] [logits0, logits1, logits2, label]) */
  output: string;
  /** encodeProof(...) */
  proof: string;
  /** The tag the proof was made for. */
  tag: bigint;
  result: ProveResult;
};

/**
 * Proves `job` on `input` for submission by `node` to `escrow` on chain `chainId`: `{ output, proof }` are the bytes
 * for `submitResult(job, claim, output, proof)`. Throws if the job's inputDigest is not the input's commitment.
 */
export async function proveJob(
  job: TaggedJob,
  node: string,
  input: number[],
  chainId: bigint,
  escrow: string,
  opts: ProveOptions = {},
): Promise<EncodedProof> {
  if (toBytes32(inputCommitment(input)) !== job.inputDigest.toLowerCase()) {
    throw new Error("the job's inputDigest is not inputCommitment(input)");
  }
  const tag = jobTagOf(chainId, escrow, job, node);
  return proveWithTag(input, tag, opts);
}

/** Proves an inference of `modelId` on `input` for `caller` to pass to Erc7992Adapter.verifyInference. */
export async function proveErc7992(
  modelId: bigint,
  caller: string,
  input: number[],
  chainId: bigint,
  adapter: string,
  opts: ProveOptions = {},
): Promise<EncodedProof> {
  return proveWithTag(input, erc7992TagOf(chainId, adapter, caller, modelId, inputCommitment(input)), opts);
}

async function proveWithTag(input: number[], tag: bigint, opts: ProveOptions): Promise<EncodedProof> {
  const result = await proveInference({ input, jobTag: tag }, opts);
  return { output: encodeOutput(result.logits, result.label), proof: encodeProof(result.calldata), tag, result };
}
