import { AbiCoder, keccak256, ParamType, type Interface, type LogDescription, type Result } from "ethers";
import { InferenceEscrow__factory } from "../typechain-types/index.js";
import { BPS } from "./protocol.js";

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

/**
 * A plain copy of a job decoded from an event or a call result: an ethers `Result`, or the object viem decodes (whose
 * integers of 48 bits or fewer are numbers: they become bigints, as ethers gives them).
 */
export function toJob(r: Result | Readonly<Record<string, unknown>>): Job {
  const o = typeof (r as Result).toObject === "function" ? (r as Result).toObject() : (r as Record<string, unknown>);
  return Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k, typeof v === "number" ? BigInt(v) : v]),
  ) as unknown as Job;
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

/** A log as receipts and providers return it. */
export type LogLike = { address: string; topics: readonly string[]; data: string };

/** A contract (the escrow, the dispute manager...), as a TypeChain/ethers contract: its ABI and address (`target`). */
export type ContractLike = { interface: Interface; target: unknown };

// The Job, Claim and Proposal tuples as the escrow's ABI declares them (the arguments of `finalize`), so the
// commitments below follow the contract when a field changes.
const [JOB_TUPLE, CLAIM_TUPLE, PROPOSAL_TUPLE] = InferenceEscrow__factory.createInterface()
  .getFunction("finalize")!
  .inputs.slice(0, 3)
  .map((p) => ParamType.from(p));
const coder = AbiCoder.defaultAbiCoder();

/** A commitment as the escrow stores it: the hash with its low byte replaced by the job's status. */
function withStatus(hash: string, status: bigint | number): string {
  return "0x" + (((BigInt(hash) >> 8n) << 8n) | BigInt(status)).toString(16).padStart(64, "0");
}

/** The commitment the escrow stores for a job in `status` (Open, Claimed, Settled...: InferenceEscrow._commitment). */
export function jobCommitment(job: Job, claim: Claim, status: bigint | number): string {
  return withStatus(keccak256(coder.encode([JOB_TUPLE, CLAIM_TUPLE], [job, claim])), status);
}

/** The commitment the escrow stores for a proposed or disputed job. */
export function proposalCommitment(job: Job, claim: Claim, proposal: Proposal, status: bigint | number): string {
  return withStatus(keccak256(coder.encode([JOB_TUPLE, CLAIM_TUPLE, PROPOSAL_TUPLE], [job, claim, proposal])), status);
}

/** The Job struct's fields in ABI order (the positional tuple an event's `job` argument is). */
export const JOB_FIELDS = JOB_TUPLE.components!.map((c) => c.name) as (keyof Job)[];

/** A job as the positional tuple of its ABI struct. */
export function jobTuple(job: Job): unknown[] {
  return JOB_FIELDS.map((k) => job[k]);
}

/** How a job's payment is split at settlement (InferenceEscrow._settle): royalty, protocol fee, node fee. */
export function feeSplitOf(job: Pick<Job, "payment" | "royalty" | "feeBps">): {
  nodeFee: bigint;
  royalty: bigint;
  protocolFee: bigint;
} {
  const payment = BigInt(job.payment);
  const protocolFee = (payment * BigInt(job.feeBps)) / BPS;
  return { nodeFee: payment - BigInt(job.royalty) - protocolFee, royalty: BigInt(job.royalty), protocolFee };
}

/** The node fee of a job: payment minus royalty minus the protocol fee. */
export function nodeFeeOf(job: Pick<Job, "payment" | "royalty" | "feeBps">): bigint {
  return feeSplitOf(job).nodeFee;
}

/**
 * The events of `contract` among `logs`, parsed. Only logs the contract emitted count (when its `target` is an
 * address): a receipt also carries the logs of callbacks, and a requester's contract can emit look-alike events.
 */
export function eventsOf(contract: ContractLike, logs: readonly LogLike[]): LogDescription[] {
  const address = typeof contract.target === "string" ? contract.target.toLowerCase() : undefined;
  const out: LogDescription[] = [];
  for (const log of logs) {
    if (address !== undefined && log.address.toLowerCase() !== address) continue;
    try {
      const parsed = contract.interface.parseLog({ topics: [...log.topics], data: log.data });
      if (parsed) out.push(parsed);
    } catch {
      // a log of another ABI with a colliding topic: not the contract's
    }
  }
  return out;
}

/** The jobs requested in a receipt's logs (`JobRequested`). */
export function requestedJobs(
  escrow: ContractLike,
  logs: readonly LogLike[],
): { jobId: bigint; job: Job; inputURI: string }[] {
  return eventsOf(escrow, logs)
    .filter((e) => e.name === "JobRequested")
    .map((e) => ({ jobId: BigInt(e.args.jobId), job: toJob(e.args.job), inputURI: String(e.args.inputURI) }));
}

/** The claim recorded by a `JobClaimed` event in a receipt's logs, if any. */
export function claimIn(escrow: ContractLike, logs: readonly LogLike[]): Claim | undefined {
  const e = eventsOf(escrow, logs).find((e) => e.name === "JobClaimed");
  return e && { node: e.args.node as string, deliverBy: e.args.deliverBy as bigint };
}

/** The claim recorded by a `JobClaimed` event in a receipt's logs (throws if there is none). */
export function claimOf(escrow: ContractLike, logs: readonly LogLike[]): Claim {
  const claim = claimIn(escrow, logs);
  if (!claim) throw new Error("no JobClaimed event in these logs");
  return claim;
}

/** The proposal recorded by a `ResultProposed` event in a receipt's logs, with its output (throws if none). */
export function proposalOf(escrow: ContractLike, logs: readonly LogLike[]): Proposal & { output: string } {
  const e = eventsOf(escrow, logs).find((e) => e.name === "ResultProposed");
  if (!e) throw new Error("no ResultProposed event in these logs");
  return { outputHash: e.args.outputHash, challengeEnds: e.args.challengeEnds, output: e.args.output };
}

/** The jobs a batch left out (`ResultSkipped`), with the status each was in. */
export function skippedJobs(escrow: ContractLike, logs: readonly LogLike[]): Map<bigint, number> {
  const skipped = new Map<bigint, number>();
  for (const e of eventsOf(escrow, logs))
    if (e.name === "ResultSkipped") skipped.set(BigInt(e.args.jobId), Number(e.args.status));
  return skipped;
}
