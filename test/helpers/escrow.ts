import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import {
  keccak256,
  toUtf8Bytes,
  verifyTypedData,
  ZeroAddress,
  type BigNumberish,
  type ContractTransactionResponse,
  type TypedDataDomain,
} from "ethers";
import { BPS, Mode, modeBit } from "./constants.js";
import { claimOf, jobIdOf as jobIdOfJob, requestedJobs, type Claim, type Job } from "../../src/jobs.js";
import { RESULT_TYPES, resultMessage } from "../../src/tee.js";
import type { IInferenceEscrow, InferenceEscrow, MockUSD, ModelRegistry } from "../../typechain-types/index.js";
import { MEASUREMENT, PAYMENT, type RequestOverrides, type TeeFixture } from "./fixtures.js";
import { signPermit as signTokenPermit } from "./permit.js";

/** Default inputs of the tests' requests (the same as `TeeFixture.request`). */
export const INPUT_DIGEST = keccak256(toUtf8Bytes("input-1"));
export const INPUT_URI = "data:application/json,[1,2,3,4,5,6,7,8]";

/** Request parameters with the fixture's defaults, expiring an hour after `now`. */
export function requestParams(
  f: Pick<TeeFixture, "versionId">,
  now: bigint,
  o: Partial<RequestOverrides> = {},
): IInferenceEscrow.RequestParamsStruct {
  return {
    versionId: o.versionId ?? f.versionId,
    mode: o.mode ?? Mode.TEE,
    node: o.node ?? ZeroAddress,
    payment: o.payment ?? PAYMENT,
    deliveryWindow: o.deliveryWindow ?? 600n,
    expiresAt: o.expiresAt ?? now + 3600n,
    callbackGasLimit: o.callbackGasLimit ?? 0n,
    inputDigest: o.inputDigest ?? INPUT_DIGEST,
    inputURI: o.inputURI ?? INPUT_URI,
  };
}

/** The job requested by a transaction (from its `JobRequested` event). */
export async function jobOf(
  escrow: InferenceEscrow,
  tx: Promise<ContractTransactionResponse> | ContractTransactionResponse,
): Promise<{ jobId: bigint; job: Job; inputURI: string }> {
  const receipt = await (await tx).wait();
  const jobs = requestedJobs(escrow, receipt!.logs);
  if (jobs.length !== 1) throw new Error(`expected one JobRequested event, got ${jobs.length}`);
  return jobs[0];
}

/** Claims `job` as `node` and returns the claim (from the `JobClaimed` event). */
export async function claimJob(escrow: InferenceEscrow, node: HardhatEthersSigner, job: Job): Promise<Claim> {
  const receipt = await (await escrow.connect(node).claim(job)).wait();
  return claimOf(escrow, receipt!.logs);
}

/**
 * The two-step cancel of an open job: `requester` asks to cancel, time moves to the end of the grace period, and the
 * returned `cancel` transaction refunds it.
 */
export async function cancelJob(
  escrow: InferenceEscrow,
  requester: HardhatEthersSigner,
  job: Job,
  time: { increaseTo: (timestamp: bigint) => Promise<void> },
): Promise<ContractTransactionResponse> {
  await (await escrow.connect(requester).requestCancel(job)).wait();
  await time.increaseTo(await escrow.cancellableAt(jobIdOfJob(job)));
  return escrow.connect(requester).cancel(job);
}

/** The split of a payment at settlement (the SDK's, src/jobs.ts). */
export { feeSplitOf as split } from "../../src/jobs.js";

/** The enclave key that a signature recovers to under the right domain (what the verifier looks up). */
export function recoveredKey(domain: TypedDataDomain, escrow: string, job: Job, output: string, sig: string): string {
  return verifyTypedData(domain, RESULT_TYPES, resultMessage(escrow, job, keccak256(output)), sig);
}

/** An EIP-2612 permit of MockUSD signed by `owner` for `spender`, as the escrow's `Permit` struct. */
export async function signPermit(
  usd: MockUSD,
  _chainId: bigint,
  owner: HardhatEthersSigner,
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<IInferenceEscrow.PermitStruct> {
  const sig = await signTokenPermit(usd, owner, spender, value, deadline);
  return { deadline, v: sig.v, r: sig.r, s: sig.s };
}

export type VersionOverrides = {
  royalty: BigNumberish;
  minCollateral: BigNumberish;
  modes: number;
  zkVerifier: string;
  teeMeasurements: string[];
};

/** Publishes another version of `modelId` (default: TEE with the fixture's measurement) and returns its id. */
export async function publishVersion(
  registry: ModelRegistry,
  owner: HardhatEthersSigner,
  modelId: bigint,
  o: Partial<VersionOverrides> = {},
): Promise<bigint> {
  const modes = o.modes ?? modeBit(Mode.TEE);
  await registry.connect(owner).publishVersion(modelId, {
    weightsDigest: keccak256(toUtf8Bytes(`weights-${modelId}`)),
    ioSchemaDigest: keccak256(toUtf8Bytes("schema")),
    artifactURI: "ipfs://other",
    royalty: o.royalty ?? 0n,
    minCollateral: o.minCollateral ?? 0n,
    modes,
    zkVerifier: o.zkVerifier ?? ZeroAddress,
    teeMeasurements: o.teeMeasurements ?? ((modes & modeBit(Mode.TEE)) !== 0 ? [MEASUREMENT] : []),
  });
  return registry.versionCount();
}
