import type { Result } from "ethers";

/** A job as the escrow recorded it (the `job` of `JobRequested`): pass it back to claim, submit, cancel or expire. */
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
  /** Seconds an optimistic proposal stays open to challenges (zero for other modes). */
  challengeWindow: bigint;
};

/** The claim on a job (`JobClaimed`); all zero for an open job. */
export type Claim = { node: string; deliverBy: bigint };

/** An optimistic proposal (`ResultProposed`): the output's hash and the end of its challenge window. */
export type Proposal = { outputHash: string; challengeEnds: bigint };

export const NO_CLAIM: Claim = { node: "0x0000000000000000000000000000000000000000", deliverBy: 0n };

/** A plain copy of a job decoded from an event or a call result. */
export function toJob(r: Result): Job {
  return { ...(r.toObject() as Job) };
}

/** A job id: the requester in the high bits, its request nonce in the low 32 (`JobIdLib.from`). */
export function jobIdOf(job: Pick<Job, "requester" | "nonce">): bigint {
  return (BigInt(job.requester) << 32n) | BigInt(job.nonce);
}

/** The requester and nonce a job id encodes. */
export function splitJobId(jobId: bigint): { requester: string; nonce: bigint } {
  const requester = "0x" + (jobId >> 32n).toString(16).padStart(40, "0");
  return { requester, nonce: jobId & 0xffffffffn };
}
