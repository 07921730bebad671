import {
  AbiCoder,
  concat,
  id,
  keccak256,
  TypedDataEncoder,
  Wallet,
  type BigNumberish,
  type TypedDataDomain,
} from "ethers";
import { jobIdOf, type Job } from "./jobs.js";

/**
 * The TEE mode's signatures (EIP-712): what an enclave signs for one result or a batch, what an attestation service
 * signs for an enclave key, their domains, and equivocation evidence for the dispute manager.
 */

/**
 * A SIMULATED enclave: an ordinary secp256k1 key held by this process, standing in for a key generated inside an
 * AWS Nitro or Intel TDX enclave. It gives no hardware guarantee whatsoever; it exists so that the TEE code path
 * (attestation, key registration, result signatures, revocation) can be exercised end to end on a laptop.
 */
export class SimulatedEnclave {
  readonly key: Wallet;
  constructor(
    readonly measurement: string,
    key?: Wallet,
  ) {
    this.key = key ?? (Wallet.createRandom() as unknown as Wallet);
  }

  get address(): string {
    return this.key.address;
  }

  /** Signs one result (EIP-712 `InferenceResult` under the TeeResultVerifier's domain). */
  async signResult(domain: TypedDataDomain, escrow: string, job: Job, output: string): Promise<string> {
    return this.key.signTypedData(domain, RESULT_TYPES, resultMessage(escrow, job, keccak256(output)));
  }

  /** Signs many results at once (EIP-712 `InferenceBatch`). */
  async signBatch(domain: TypedDataDomain, escrow: string, jobs: Job[], outputs: string[]): Promise<string> {
    const results = jobs.map((job, i) => resultMessage(escrow, job, keccak256(outputs[i])));
    return this.key.signTypedData(domain, BATCH_TYPES, { results });
  }
}

export const RESULT_TYPES = {
  InferenceResult: [
    { name: "escrow", type: "address" },
    { name: "jobId", type: "uint256" },
    { name: "modelVersion", type: "uint64" },
    { name: "inputHash", type: "bytes32" },
    { name: "outputHash", type: "bytes32" },
  ],
};
export const BATCH_TYPES = {
  InferenceBatch: [{ name: "results", type: "InferenceResult[]" }],
  InferenceResult: RESULT_TYPES.InferenceResult,
};
export const ATTESTATION_TYPES = {
  EnclaveAttestation: [
    { name: "registry", type: "address" },
    { name: "node", type: "address" },
    { name: "enclaveKey", type: "address" },
    { name: "measurement", type: "bytes32" },
    { name: "expiresAt", type: "uint40" },
  ],
};

export function resultMessage(escrow: string, job: Job, outputHash: string) {
  return { escrow, jobId: jobIdOf(job), modelVersion: job.versionId, inputHash: job.inputDigest, outputHash };
}

/** The EIP-712 struct hash of one result (`TeeResultVerifier.resultStructHash`), a leaf of a batch digest. */
export function resultStructHash(escrow: string, job: Job, outputHash: string): string {
  return TypedDataEncoder.hashStruct("InferenceResult", RESULT_TYPES, resultMessage(escrow, job, outputHash));
}

/** `TeeResultVerifier.RESULT_TYPEHASH`: the EIP-712 type hash of `InferenceResult`. */
export const RESULT_TYPEHASH = id(TypedDataEncoder.from(RESULT_TYPES).encodeType("InferenceResult"));
/** `TeeResultVerifier.BATCH_TYPEHASH`: the EIP-712 type hash of `InferenceBatch` (with `InferenceResult` appended). */
export const BATCH_TYPEHASH = id(TypedDataEncoder.from(BATCH_TYPES).encodeType("InferenceBatch"));

/**
 * The digest an enclave signs for one result (`TeeResultVerifier.resultDigest`): EIP-712 `InferenceResult` under the
 * verifier's domain (`teeResultDomain(chainId, verifier)`).
 */
export function resultDigest(domain: TypedDataDomain, escrow: string, job: Job, outputHash: string): string {
  return TypedDataEncoder.hash(domain, RESULT_TYPES, resultMessage(escrow, job, outputHash));
}

/**
 * The digest an enclave signs for a batch, from its results' struct hashes in the batch's order
 * (`TeeResultVerifier.batchDigest`): `keccak256(0x1901 ‖ domainSeparator ‖ keccak256(abi.encode(BATCH_TYPEHASH,
 * keccak256(abi.encodePacked(resultStructHashes)))))`, which is EIP-712 `InferenceBatch` over those results.
 */
export function batchDigest(domain: TypedDataDomain, resultStructHashes: readonly string[]): string {
  const batch = keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["bytes32", "bytes32"],
      [BATCH_TYPEHASH, keccak256(concat([...resultStructHashes]))],
    ),
  );
  return keccak256(concat(["0x1901", TypedDataEncoder.hashDomain(domain), batch]));
}

/** Equivocation evidence (`IDisputeManager.SignedResult`): one result and the signature that covers it. */
export type SignedResultEvidence = {
  jobId: bigint;
  versionId: bigint;
  inputHash: string;
  outputHash: string;
  signature: string;
  /** The struct hashes of every result of a batch signature, in order; empty for a single-result signature. */
  batch: string[];
  index: bigint;
};

/**
 * Evidence for result `index` of `jobs` signed with `signature`: a batch signature over all of `jobs` and
 * `outputHashes` when `batch` is true (as `submitBatch` takes, a batch of one included), else a single-result one.
 */
export function signedResultEvidence(
  escrow: string,
  jobs: Job[],
  outputHashes: string[],
  index: number,
  signature: string,
  batch: boolean,
): SignedResultEvidence {
  const job = jobs[index];
  return {
    jobId: jobIdOf(job),
    versionId: job.versionId,
    inputHash: job.inputDigest,
    outputHash: outputHashes[index],
    signature,
    batch: batch ? jobs.map((j, i) => resultStructHash(escrow, j, outputHashes[i])) : [],
    index: batch ? BigInt(index) : 0n,
  };
}

export function teeResultDomain(chainId: BigNumberish, verifier: string): TypedDataDomain {
  return { name: "Veritas TEE Result", version: "1", chainId, verifyingContract: verifier };
}

export function attestationDomain(chainId: BigNumberish, verifier: string): TypedDataDomain {
  return { name: "Veritas Attestation", version: "1", chainId, verifyingContract: verifier };
}

/**
 * What an attestation service signs after checking an enclave's hardware quote off chain (simulated here: it signs
 * whatever it is asked to).
 */
export async function signAttestation(
  service: Wallet | { signTypedData: Wallet["signTypedData"] },
  domain: TypedDataDomain,
  registry: string,
  node: string,
  enclaveKey: string,
  measurement: string,
  expiresAt: BigNumberish,
): Promise<string> {
  return service.signTypedData(domain, ATTESTATION_TYPES, { registry, node, enclaveKey, measurement, expiresAt });
}
