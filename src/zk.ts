/**
 * What a requester, a node and a contract need to agree on for a ZK job, in pure JavaScript (no circuit, no prover):
 * the field encoding, the input commitment a ZK job's `inputDigest` must be, the job tag ZkResultVerifier binds a
 * proof to, and the on-chain proof bytes.
 *
 *   field:           an integer v is v mod r (negatives r - |v|), r = BN254 scalar field order
 *   inputCommitment: Poseidon_n(x) for n <= 16 (circomlib's Poseidon(n) = poseidon-lite's poseidonN); for n > 16 the
 *                    chain c_0 = n, c_k = Poseidon16(c_{k-1}, next 15 values, zero-padded), the last c_k
 *   jobTag:          uint256(keccak256(abi.encode(JOB_TAG_DOMAIN, chainId, escrow, jobId, requester, node, versionId,
 *                    inputDigest))) mod r, JOB_TAG_DOMAIN = keccak256("veritas/zk/job-tag/v1"); `node` is the account
 *                    that submits the result (msg.sender of submitResult)
 *   ERC-7992 tag:    uint256(keccak256(abi.encode(ERC7992_TAG_DOMAIN, chainId, adapter, caller, modelId,
 *                    inputCommitment))) mod r
 *   proof bytes:     abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c), `b` as the verifier's verifyProof takes it
 */
import { AbiCoder, keccak256, toUtf8Bytes } from "ethers";
import * as poseidon from "poseidon-lite";
import { VeritasError } from "./errors.js";
import { jobIdOf, type Job } from "./jobs.js";

/** BN254 scalar field order r. */
export const FIELD_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
/** Values absorbed per Poseidon16 call of a commitment chain (one slot carries the chain value). */
export const COMMIT_RATE = 15;
/** ZkResultVerifier.JOB_TAG_DOMAIN. */
export const JOB_TAG_DOMAIN = keccak256(toUtf8Bytes("veritas/zk/job-tag/v1"));
/** Erc7992Adapter.TAG_DOMAIN. */
export const ERC7992_TAG_DOMAIN = keccak256(toUtf8Bytes("veritas/zk/erc7992-tag/v1"));
/** Erc7992Adapter.PROOF_SYSTEM_ID: bytes4(keccak256("groth16-bn254-v1")). */
export const GROTH16_BN254_V1 = keccak256(toUtf8Bytes("groth16-bn254-v1")).slice(0, 10);

/**
 * A ZK model or input outside the family Veritas compiles (src/models/zk/family.ts): a `VeritasError` with code
 * `NOT_IN_ZK_FAMILY`.
 */
export class FamilyError extends VeritasError {
  override readonly name: string = "FamilyError";
  constructor(message: string) {
    super("NOT_IN_ZK_FAMILY", message);
  }
}

/** Integer -> field element. */
export function toField(v: number | bigint): bigint {
  const b = BigInt(v) % FIELD_R;
  return b < 0n ? b + FIELD_R : b;
}

/** Field element -> signed integer (above r/2: negative). */
export function fromField(f: bigint | string): bigint {
  const b = BigInt(f);
  if (b < 0n || b >= FIELD_R) throw new FamilyError("not a field element");
  return b > FIELD_R / 2n ? b - FIELD_R : b;
}

/** bytes32 hex of a field element. */
export const toBytes32 = (v: bigint): string => "0x" + v.toString(16).padStart(64, "0");

/** c_0 = values.length; c_k = Poseidon16(c_{k-1}, next 15 values, zero-padded). */
export function chainCommit(values: readonly (number | bigint)[]): bigint {
  const v = values.map(toField);
  while (v.length % COMMIT_RATE !== 0) v.push(0n);
  let c = BigInt(values.length);
  for (let off = 0; off < v.length; off += COMMIT_RATE)
    c = poseidon.poseidon16([c, ...v.slice(off, off + COMMIT_RATE)]);
  return c;
}

/** circomlib's Poseidon(n), n = 1..16 (poseidon-lite's poseidonN). */
const poseidonN = (inputs: bigint[]): bigint =>
  (poseidon as unknown as Record<string, (x: bigint[]) => bigint>)[`poseidon${inputs.length}`](inputs);

/** Whether `x` is a non-empty vector of int8 integers (the input of every ZK model of the family). */
export function isInt8Vector(x: unknown): x is number[] {
  return Array.isArray(x) && x.length > 0 && x.every((v) => Number.isInteger(v) && v >= -128 && v <= 127);
}

/**
 * The input commitment of an int8 vector, as a ZK job's `inputDigest` (bytes32: `toBytes32`) must be for its result
 * to be provable. It depends on the input alone, not on the model.
 */
export function commitInput(x: readonly number[]): bigint {
  if (!isInt8Vector(x)) throw new FamilyError("the input must be a non-empty vector of int8 integers");
  return x.length <= 16 ? poseidonN(x.map(toField)) : chainCommit(x);
}

const coder = AbiCoder.defaultAbiCoder();
const PROOF_TYPES = ["uint256[2]", "uint256[2][2]", "uint256[2]"];

/** The fields of a job its tag depends on. */
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

/** A Groth16 proof's points as the Solidity verifier takes them. */
export interface ProofPoints {
  pA: [bigint, bigint];
  pB: [[bigint, bigint], [bigint, bigint]];
  pC: [bigint, bigint];
}

/** On-chain proof bytes: abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c). */
export function encodeProof(c: ProofPoints): string {
  return coder.encode(PROOF_TYPES, [c.pA, c.pB, c.pC]);
}

/** Inverse of encodeProof. */
export function decodeProof(data: string): ProofPoints {
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
