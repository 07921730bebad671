/**
 * Escrow integration of the reference ZK model: the job tag the ZkResultVerifier computes on chain, and proofs
 * ready for `InferenceEscrow.submitResult(job, claim, output, proof)`.
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
import { AbiCoder, keccak256, toUtf8Bytes } from "ethers";
import { jobIdOf, type Job } from "../jobs.js";
import { inputCommitment, toBytes32 } from "./commitment.js";
import { FIELD_R } from "./constants.js";
import { encodeOutput, proveInference, type ProveOptions, type ProveResult, type SolidityCalldata } from "./prover.js";

/** ZkResultVerifier.JOB_TAG_DOMAIN. */
export const JOB_TAG_DOMAIN = keccak256(toUtf8Bytes("veritas/zk/job-tag/v1"));
/** Erc7992Adapter.TAG_DOMAIN. */
export const ERC7992_TAG_DOMAIN = keccak256(toUtf8Bytes("veritas/zk/erc7992-tag/v1"));
/** Erc7992Adapter.PROOF_SYSTEM_ID: bytes4(keccak256("groth16-bn254-v1")). */
export const GROTH16_BN254_V1 = keccak256(toUtf8Bytes("groth16-bn254-v1")).slice(0, 10);

const coder = AbiCoder.defaultAbiCoder();
const PROOF_TYPES = ["uint256[2]", "uint256[2][2]", "uint256[2]"];

/** The fields of a job the tag depends on. */
export type TaggedJob = Pick<Job, "requester" | "nonce" | "versionId" | "inputDigest">;

/** The job tag ZkResultVerifier computes when `escrow` verifies a result of `job` submitted by `node`. */
export function jobTagOf(chainId: bigint, escrow: string, job: TaggedJob, node: string): bigint {
  const encoded = coder.encode(
    ["bytes32", "uint256", "address", "uint256", "address", "address", "uint64", "bytes32"],
    [JOB_TAG_DOMAIN, chainId, escrow, jobIdOf(job), job.requester, node, job.versionId, job.inputDigest],
  );
  return BigInt(keccak256(encoded)) % FIELD_R;
}

/** The tag Erc7992Adapter computes when `caller` asks it to verify an inference of `modelId` on `inputCommitment`. */
export function erc7992TagOf(
  chainId: bigint,
  adapter: string,
  caller: string,
  modelId: bigint,
  inputCommitmentValue: bigint | string,
): bigint {
  const encoded = coder.encode(
    ["bytes32", "uint256", "address", "address", "uint256", "bytes32"],
    [ERC7992_TAG_DOMAIN, chainId, adapter, caller, modelId, toBytes32(BigInt(inputCommitmentValue))],
  );
  return BigInt(keccak256(encoded)) % FIELD_R;
}

/** On-chain proof bytes: abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c) (b as verifyProof takes it). */
export function encodeProof(c: Pick<SolidityCalldata, "pA" | "pB" | "pC">): string {
  return coder.encode(PROOF_TYPES, [c.pA, c.pB, c.pC]);
}

/** Inverse of encodeProof. */
export function decodeProof(data: string): Pick<SolidityCalldata, "pA" | "pB" | "pC"> {
  const [a, b, c] = coder.decode(PROOF_TYPES, data) as unknown as [bigint[], bigint[][], bigint[]];
  return {
    pA: [a[0], a[1]],
    pB: [
      [b[0][0], b[0][1]],
      [b[1][0], b[1][1]],
    ],
    pC: [c[0], c[1]],
  };
}

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
