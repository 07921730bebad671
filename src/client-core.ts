/**
 * What `VeritasClient` (ethers v6, src/client.ts) and `VeritasViemClient` (viem, src/viem.ts) share: the client's
 * types, the request defaults and input digests, and every step that does not depend on the transport (the job's
 * record from its events, `getJob`, the `waitForResult` state machine, the verification of a result, deposits and
 * requests). `VeritasClientCore` holds that logic once; a client only supplies the transport: a view call, an event
 * query, a transaction, a block's timestamp and a transaction's calldata.
 */
import { keccak256, recoverAddress, toUtf8Bytes, type BigNumberish, type Interface } from "ethers";
import {
  DisputeManager__factory,
  InferenceEscrow__factory,
  ModelRegistry__factory,
  TeeRegistry__factory,
  TeeResultVerifier__factory,
} from "../typechain-types/index.js";
import {
  DEFAULT_DELIVERY_WINDOW_SECONDS,
  DEFAULT_REQUEST_TTL_SECONDS,
  JOB_STATUS_NAMES,
  JobStatus,
  Mode,
  RULING_NAMES,
  type JobStatusName,
  type ModeName,
  type RulingName,
} from "./constants.js";
import { loadDeployment, parseDeployment, type DeploymentRecord, type VeritasAddresses } from "./deployments.js";
import { decodeVeritasError, VeritasError } from "./errors.js";
import { jobIdOf, requestedJobs, toJob, type Claim, type Job, type LogLike, type Proposal } from "./jobs.js";
import { commitInput, isInt8Vector, toBytes32 } from "./zk.js";

/** What to request. Amounts are in payment-token units (e.g. 1_000_000n for 1 USDC). */
export type RequestInferenceParams = {
  versionId: BigNumberish;
  /** Escrowed payment: royalty + protocol fee + node fee. */
  payment: BigNumberish;
  /** Verification mode (default `Mode.TEE`). */
  mode?: number;
  /** Reserve the job for one node (default: any node). */
  node?: string;
  /** Seconds a claimer has to deliver (default 600). */
  deliveryWindow?: BigNumberish;
  /** Final deadline, unix seconds (default: latest block + `ttl`). */
  expiresAt?: BigNumberish;
  /** Seconds from the latest block to the final deadline when `expiresAt` is not given (default 3600). */
  ttl?: number;
  /** Gas for the callback of a contract requester (default 0: no callback). */
  callbackGasLimit?: BigNumberish;
  /** The input digest (ZK: the input commitment). */
  inputDigest?: string;
  /**
   * The input itself, used when `inputDigest` is absent. Bytes or a string (hashed as UTF-8): the digest is keccak256
   * of the bytes (TEE and optimistic modes). An array of int8 integers (the input of a ZK model, e.g. `[3, -1, …]`):
   * the bytes are its JSON text, and a ZK job's digest is its input commitment (src/zk.ts `commitInput`), so the
   * result can be proven; it is also sent inline as the default `inputURI`
   * (`data:application/json,[3,-1,…]`). A ZK job needs an int8 array or an explicit `inputDigest`.
   */
  input?: string | Uint8Array | readonly number[];
  /** Where nodes fetch the input (emitted in `JobRequested`, not stored). Default for an int8 array `input`: inline. */
  inputURI?: string;
};

export type RequestOptions = {
  /** `balance`: from your prepaid escrow balance (see `deposit`); `transfer`: pulled with `transferFrom` now. */
  pay?: "balance" | "transfer";
  /** With `pay: "transfer"`, approve the escrow first if the allowance is short (default true). */
  approve?: boolean;
};

export type RequestedJob = {
  jobId: bigint;
  job: Job;
  inputURI: string;
  transactionHash: string;
  blockNumber: number;
};

/** A verified result, from the `JobSettled` event. */
export type InferenceResult = {
  jobId: bigint;
  node: string;
  /** The output bytes (hex). */
  output: string;
  outputHash: string;
  nodeFee: bigint;
  royalty: bigint;
  protocolFee: bigint;
  transactionHash: string;
  blockNumber: number;
};

export type JobInfo = {
  jobId: bigint;
  status: JobStatusName;
  /** The on-chain `JobStatus` value. */
  statusCode: number;
  /** The job's parameters, from `JobRequested`. */
  job: Job;
  inputURI: string;
  requestedAtBlock: number;
  /** The current claim (statuses `Claimed`, `Proposed`, `Disputed`), from the last `JobClaimed`. */
  claim: Claim | null;
  /** The optimistic proposal (statuses `Proposed`, `Disputed`), from the last `ResultProposed`. */
  proposal: OptimisticProposal | null;
  /** Who challenged the proposal (status `Disputed`, and `Refunded` after a dispute). */
  challenger: string | null;
  /** The result (status `Settled`). */
  result: InferenceResult | null;
  /** The refund credited back to the requester (statuses `Cancelled`, `Expired`, `Refunded`). */
  refund: bigint | null;
  /** How the dispute ended (status `Refunded`: `NodeWrong` or `Draw`). */
  ruling: RulingName | null;
};

/** An optimistic result waiting for its challenge window (`ResultProposed`). */
export type OptimisticProposal = Proposal & { node: string; output: string };

/** How a settled result was verified on chain: the reference to show next to the output. */
export type Verification =
  | {
      mode: "TEE";
      /** The enclave key whose EIP-712 signature the escrow checked (recovered from the settling transaction). */
      enclaveKey: string | null;
      /** The enclave measurement the key was attested for (TeeRegistry). */
      measurement: string | null;
      /** The transaction that registered the key with its attestation (`EnclaveKeyRegistered`). */
      attestationTx: string | null;
      /** How many results the one signature covered (1, or the size of a `submitBatch`). */
      batchSize: number;
      /** The transaction that submitted and settled the result. */
      transactionHash: string;
    }
  | {
      mode: "ZK";
      /** The version's Groth16 verifier the escrow called. */
      verifier: string;
      /** The transaction that carried the proof and settled the result. */
      transactionHash: string;
    }
  | {
      mode: "OPTIMISTIC";
      /** The transaction that proposed the result (`ResultProposed`). */
      proposalTx: string;
      /** End of the challenge window. */
      challengeEnds: bigint;
      /** `finalize`: the window passed unchallenged; `dispute`: a challenge was decided for the node. */
      settledBy: "finalize" | "dispute";
      /** Whether a ZK proof decided the dispute (`settledBy: "dispute"`). */
      byProof: boolean;
      /** The transaction that settled it (finalize, or the dispute's resolution). */
      transactionHash: string;
    };

/** A verified result with how it was verified and when. */
export type VerifiedResult = InferenceResult & {
  mode: ModeName;
  verification: Verification;
  /** Block timestamps of the request and of the settlement, unix seconds. */
  requestedAt: number;
  settledAt: number;
};

export type WaitOptions = {
  /** Give up after this many ms (default 10 minutes). */
  timeout?: number;
  /** Polling interval in ms (default: the client's). */
  pollInterval?: number;
  /**
   * Optimistic jobs: once the proposal's challenge window has passed unchallenged, send `finalize` (anyone may) instead
   * of waiting for someone else to. Needs a signer. Default false.
   */
  finalize?: boolean;
};

/** Why `waitForResult` or `getJob` could not give a result. */
export type JobErrorCode = "UnknownJob" | "Cancelled" | "Expired" | "Refunded" | "PastDeadline" | "Timeout";

export class VeritasJobError extends Error {
  override readonly name = "VeritasJobError";
  constructor(
    readonly code: JobErrorCode,
    readonly jobId: bigint,
    message: string,
    /** The refund credited to the requester's escrow balance (`Cancelled`, `Expired`). */
    readonly refund?: bigint,
  ) {
    super(message);
  }
}

/** Rethrows a Veritas revert as a `VeritasError` (name and arguments decoded); other errors unchanged. */
export function toVeritasError(e: unknown): unknown {
  if (e instanceof VeritasError) return e;
  const decoded = decodeVeritasError(e);
  return decoded ? new VeritasError(decoded, { cause: e }) : e;
}

/**
 * The digest and URI of a request's input (`RequestInferenceParams.input`): keccak256 of the bytes, or for a ZK job
 * the input commitment of its int8 vector, which is what makes the result provable.
 */
export function inputOf(params: Pick<RequestInferenceParams, "mode" | "input" | "inputDigest" | "inputURI">): {
  inputDigest: string;
  inputURI: string;
} {
  const zk = Number(params.mode ?? Mode.TEE) === Mode.ZK;
  const { input } = params;
  const vector = Array.isArray(input) ? (input as readonly number[]) : undefined;
  const json = vector && JSON.stringify(vector);
  const inputURI = params.inputURI ?? (json !== undefined ? `data:application/json,${encodeURIComponent(json)}` : "");
  if (params.inputDigest !== undefined) return { inputDigest: params.inputDigest, inputURI };
  if (input === undefined) throw new Error("requestInference: give `inputDigest` or `input`");
  if (vector) {
    if (!isInt8Vector(vector))
      throw new Error("requestInference: an array `input` must be a non-empty vector of int8 integers");
    return { inputDigest: zk ? toBytes32(commitInput(vector)) : keccak256(toUtf8Bytes(json!)), inputURI };
  }
  // keccak256 of the bytes is the digest of TEE and optimistic jobs only: a ZK job needs the circuit's input
  // commitment, or it can never be proven.
  if (zk)
    throw new Error(
      "requestInference: a ZK job's inputDigest is the circuit's input commitment, not keccak256(input): give the " +
        "input as an int8 array, or `inputDigest`, or use requestTypedInference (src/models/typed.ts)",
    );
  return { inputDigest: keccak256(typeof input === "string" ? toUtf8Bytes(input) : (input as Uint8Array)), inputURI };
}

/** The escrow's `RequestParams` of a request, with the client's defaults (the deadline from the latest block). */
export type RequestStruct = {
  versionId: bigint;
  mode: number;
  node: string;
  payment: bigint;
  deliveryWindow: bigint;
  expiresAt: bigint;
  callbackGasLimit: bigint;
  inputDigest: string;
  inputURI: string;
};

/** `RequestParams` of `params`: the input's digest and URI (`inputOf`), the defaults where `params` leaves them out. */
export async function requestStructOf(
  params: RequestInferenceParams,
  latestTimestamp: () => Promise<bigint>,
): Promise<RequestStruct> {
  const { inputDigest, inputURI } = inputOf(params);
  const expiresAt =
    params.expiresAt !== undefined
      ? BigInt(params.expiresAt)
      : (await latestTimestamp()) + BigInt(params.ttl ?? DEFAULT_REQUEST_TTL_SECONDS);
  return {
    versionId: BigInt(params.versionId),
    mode: params.mode ?? Mode.TEE,
    node: params.node ?? "0x0000000000000000000000000000000000000000",
    payment: BigInt(params.payment),
    deliveryWindow: BigInt(params.deliveryWindow ?? DEFAULT_DELIVERY_WINDOW_SECONDS),
    expiresAt,
    callbackGasLimit: BigInt(params.callbackGasLimit ?? 0),
    inputDigest,
    inputURI,
  };
}

/** The ABIs the clients call (TypeChain's `as const` ABIs: viem infers its types from them). */
export const VERITAS_CLIENT_ABIS = {
  InferenceEscrow: InferenceEscrow__factory.abi,
  ModelRegistry: ModelRegistry__factory.abi,
  TeeRegistry: TeeRegistry__factory.abi,
  TeeResultVerifier: TeeResultVerifier__factory.abi,
  DisputeManager: DisputeManager__factory.abi,
} as const;

/** A contract the core reads or writes: a Veritas contract (`VERITAS_CLIENT_ABIS`) or the ERC-20 payment token. */
export type ContractKey = keyof typeof VERITAS_CLIENT_ABIS | "ERC20";

/** An event as a transport decoded it: its arguments by name, its transaction and block. */
export type EventRecord = { args: Readonly<Record<string, unknown>>; transactionHash: string; blockNumber: number };

/** An event query: the events `event` of contract `key` at `address` whose indexed arguments match `args`. */
export type EventQuery = {
  key: keyof typeof VERITAS_CLIENT_ABIS;
  address: string;
  event: string;
  args: Record<string, unknown>;
  fromBlock: number;
};

/** A mined transaction as the core reads it (`receiptInfo`). */
export type ReceiptInfo = { hash: string; blockNumber: number; logs: readonly LogLike[] };

/** The positional arguments of an event's indexed parameters, from arguments by name (`null`: any). */
export function indexedArgs(key: keyof typeof VERITAS_CLIENT_ABIS, event: string, args: Record<string, unknown>) {
  const item = (VERITAS_CLIENT_ABIS[key] as readonly { type: string; name?: string; inputs?: readonly Param[] }[]).find(
    (i) => i.type === "event" && i.name === event,
  );
  if (!item) throw new Error(`${key} has no event ${event}`);
  return item.inputs!.filter((p) => p.indexed).map((p) => args[p.name] ?? null);
}
type Param = { name: string; indexed?: boolean };

let escrowInterface: Interface | undefined;
const escrowAbi = () => (escrowInterface ??= InferenceEscrow__factory.createInterface());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where a client finds its deployment (`VeritasClient.connect`, `createVeritasClient`). */
export type DeploymentOptions = {
  addresses?: VeritasAddresses;
  deployment?: DeploymentRecord | string;
  chainId?: number | bigint;
  fromBlock?: number;
};

/**
 * The addresses and first block of the deployment `options` name: `addresses`, a `deployment` record, or the record
 * packaged for `options.chainId` (default: the connected chain). Throws (messages prefixed `who`) if there is none or
 * it is for another chain.
 */
export async function resolveDeployment(
  options: DeploymentOptions,
  chainId: bigint,
  who: string,
): Promise<{ addresses: VeritasAddresses; fromBlock: number }> {
  let deployment: DeploymentRecord | undefined;
  if (options.deployment !== undefined) deployment = parseDeployment(options.deployment);
  else if (!options.addresses) {
    const wanted = options.chainId ?? chainId;
    deployment = await loadDeployment(wanted);
    if (!deployment) {
      throw new Error(
        `${who}: no Veritas deployment is packaged for chain ${wanted}; pass { addresses } or { deployment }`,
      );
    }
  }
  if (deployment && BigInt(deployment.chainId) !== chainId) {
    throw new Error(`${who}: the deployment is for chain ${deployment.chainId}, the provider is on chain ${chainId}`);
  }
  return {
    addresses: options.addresses ?? deployment!.contracts,
    fromBlock: options.fromBlock ?? deployment?.deployedAtBlock ?? 0,
  };
}

/** The events of a job the core reads, by the contract that emits them. */
type JobEvent =
  | "JobRequested"
  | "JobClaimed"
  | "ResultProposed"
  | "JobDisputed"
  | "JobSettled"
  | "JobCancelled"
  | "JobExpired"
  | "JobRefunded";

/**
 * The client's logic over an abstract transport. `Receipt` is what the transport's transactions resolve with (an
 * ethers or a viem receipt). A subclass implements the protected transport methods; every revert a transaction or a
 * view call meets comes back as a `VeritasError`.
 */
export abstract class VeritasClientCore<Receipt> {
  /** Earliest block searched for events. */
  fromBlock: number;
  /** Polling interval of `waitForResult`, in ms. */
  pollInterval: number;
  private readonly jobs = new Map<bigint, { job: Job; inputURI: string; blockNumber: number }>();
  private tokenAddress: string | undefined;

  protected constructor(
    readonly addresses: VeritasAddresses,
    readonly chainId: bigint,
    options: { fromBlock: number; pollInterval?: number },
  ) {
    this.fromBlock = options.fromBlock;
    this.pollInterval = options.pollInterval ?? 1000;
  }

  // ---- the transport ----

  /** The sending account's address; throws for a read-only client. */
  abstract account(): Promise<string>;
  /** A view call `fn(...args)` of the contract at `address` (raw result: ethers `Result` or viem's values). */
  protected abstract read(key: ContractKey, address: string, fn: string, args?: readonly unknown[]): Promise<unknown>;
  /** Sends `fn(...args)` to the contract at `address` and waits for it to be mined (a revert: `VeritasError`). */
  protected abstract write(key: ContractKey, address: string, fn: string, args: readonly unknown[]): Promise<Receipt>;
  /** The events `event` of the contract at `address` whose indexed arguments match `args`, from `fromBlock`, in order. */
  protected abstract events(query: EventQuery): Promise<EventRecord[]>;
  /** A block's timestamp, unix seconds. */
  protected abstract blockTimestamp(block: number | "latest"): Promise<bigint>;
  /** A transaction's recipient and calldata, or null if it is not found. */
  protected abstract transactionInput(hash: string): Promise<{ to: string | null; data: string } | null>;
  /** The hash, block and logs of a receipt. */
  protected abstract receiptInfo(receipt: Receipt): ReceiptInfo;

  // ---- reads ----

  /** A view call through the client's error decoding. */
  protected async call<T>(key: ContractKey, address: string, fn: string, ...args: unknown[]): Promise<T> {
    try {
      return (await this.read(key, address, fn, args)) as T;
    } catch (e) {
      throw toVeritasError(e);
    }
  }

  /** The escrow's view `fn(...args)`. */
  protected escrowCall<T>(fn: string, ...args: unknown[]): Promise<T> {
    return this.call<T>("InferenceEscrow", this.addresses.escrow, fn, ...args);
  }

  /** The payment token's address (`addresses.paymentToken`, else the escrow's). */
  async paymentTokenAddress(): Promise<string> {
    return (this.tokenAddress ??= this.addresses.paymentToken ?? (await this.escrowCall<string>("paymentToken")));
  }

  /** An account's withdrawable escrow balance: prepaid funds, refunds and earnings (default: the signer's). */
  async balanceOf(account?: string): Promise<bigint> {
    return BigInt(await this.escrowCall<bigint>("balanceOf", account ?? (await this.account())));
  }

  /** When a requested cancel can be completed (unix seconds), or 0n if none was requested. */
  async cancellableAt(jobId: BigNumberish): Promise<bigint> {
    return BigInt(await this.escrowCall<bigint>("cancellableAt", BigInt(jobId)));
  }

  private async jobStatus(id: bigint): Promise<number> {
    return Number(await this.escrowCall<bigint | number>("jobStatus", id));
  }

  private jobEvents(event: JobEvent, jobId: bigint, fromBlock: number): Promise<EventRecord[]> {
    return this.events({ key: "InferenceEscrow", address: this.addresses.escrow, event, args: { jobId }, fromBlock });
  }

  // ---- transactions ----

  /** Deposits `amount` into `account`'s escrow balance (default: the signer's), approving the escrow if needed. */
  async deposit(amount: BigNumberish, options: { account?: string } = {}): Promise<Receipt> {
    const owner = await this.account();
    await this.ensureAllowance(owner, BigInt(amount));
    return this.escrowWrite("deposit", options.account ?? owner, BigInt(amount));
  }

  /** Withdraws from the signer's escrow balance (default: all of it) to `to` (default: the signer). */
  async withdraw(amount?: BigNumberish, to?: string): Promise<Receipt> {
    const owner = await this.account();
    const value = amount === undefined ? await this.balanceOf(owner) : BigInt(amount);
    return this.escrowWrite("withdraw", value, to ?? owner);
  }

  /** Requests an inference, paid from the prepaid balance (default) or with a transfer. */
  async requestInference(params: RequestInferenceParams, options: RequestOptions = {}): Promise<RequestedJob> {
    const owner = await this.account();
    const request = await requestStructOf(params, () => this.blockTimestamp("latest"));
    const pay = options.pay ?? "balance";
    if (pay === "transfer" && options.approve !== false) await this.ensureAllowance(owner, request.payment);
    const receipt = this.receiptInfo(
      await this.escrowWrite(pay === "transfer" ? "requestInferenceWithTransfer" : "requestInference", request),
    );
    const [requested] = requestedJobs({ interface: escrowAbi(), target: this.addresses.escrow }, receipt.logs);
    if (!requested) throw new Error(`requestInference: no JobRequested event in transaction ${receipt.hash}`);
    const { jobId, job } = requested;
    this.jobs.set(jobId, { job, inputURI: requested.inputURI, blockNumber: receipt.blockNumber });
    return { ...requested, transactionHash: receipt.hash, blockNumber: receipt.blockNumber };
  }

  /**
   * Asks to cancel an open job of the signer. The job stays open (nodes may still serve it, and a result is paid) for
   * the escrow's cancel grace period (`CANCEL_GRACE_PERIOD_SECONDS`, 10 minutes); then `cancel` refunds it.
   */
  async requestCancel(jobId: BigNumberish): Promise<Receipt> {
    return this.escrowWrite("requestCancel", (await this.requested(BigInt(jobId))).job);
  }

  /**
   * Completes the cancel of an open job of the signer after `requestCancel` and its grace period; the payment goes back
   * to its escrow balance.
   */
  async cancel(jobId: BigNumberish): Promise<Receipt> {
    return this.escrowWrite("cancel", (await this.requested(BigInt(jobId))).job);
  }

  /** Expires an open job past its final deadline (anyone may), refunding the requester's escrow balance. */
  async expire(jobId: BigNumberish): Promise<Receipt> {
    return this.escrowWrite("expire", (await this.requested(BigInt(jobId))).job);
  }

  /**
   * Finalizes an optimistic job whose proposal's challenge window has passed unchallenged (anyone may): the job
   * settles with the proposed output.
   */
  async finalize(jobId: BigNumberish): Promise<Receipt> {
    const id = BigInt(jobId);
    const { job, blockNumber } = await this.requested(id);
    const claim = await this.lastClaim(id, blockNumber);
    const proposal = await this.lastProposal(id, blockNumber);
    if (!claim || !proposal) throw new VeritasJobError("UnknownJob", id, `job ${id} has no optimistic proposal`);
    const { outputHash, challengeEnds, output } = proposal;
    return this.escrowWrite("finalize", job, claim, { outputHash, challengeEnds }, output);
  }

  private escrowWrite(fn: string, ...args: unknown[]): Promise<Receipt> {
    return this.write("InferenceEscrow", this.addresses.escrow, fn, args);
  }

  private async ensureAllowance(owner: string, amount: bigint): Promise<void> {
    const token = await this.paymentTokenAddress();
    const allowance = BigInt(await this.call<bigint>("ERC20", token, "allowance", owner, this.addresses.escrow));
    if (allowance < amount) await this.write("ERC20", token, "approve", [this.addresses.escrow, amount]);
  }

  // ---- jobs ----

  /** A job's status, its parameters (from `JobRequested`), its current claim and proposal, and its result or refund. */
  async getJob(jobId: BigNumberish): Promise<JobInfo> {
    const id = BigInt(jobId);
    const statusCode = await this.jobStatus(id);
    if (statusCode === JobStatus.None) throw new VeritasJobError("UnknownJob", id, `UnknownJob(jobId=${id})`);
    const { job, inputURI, blockNumber } = await this.requested(id);
    const info: JobInfo = {
      jobId: id,
      status: JOB_STATUS_NAMES[statusCode] ?? (`Status${statusCode}` as JobStatusName),
      statusCode,
      job,
      inputURI,
      requestedAtBlock: blockNumber,
      claim: null,
      proposal: null,
      challenger: null,
      result: null,
      refund: null,
      ruling: null,
    };
    if (statusCode === JobStatus.Claimed || statusCode === JobStatus.Proposed || statusCode === JobStatus.Disputed) {
      info.claim = await this.lastClaim(id, blockNumber);
    }
    if (statusCode === JobStatus.Proposed || statusCode === JobStatus.Disputed) {
      info.proposal = await this.lastProposal(id, blockNumber);
    }
    if (statusCode === JobStatus.Disputed || statusCode === JobStatus.Refunded) {
      const disputed = (await this.jobEvents("JobDisputed", id, blockNumber)).at(-1);
      info.challenger = disputed ? String(disputed.args.challenger) : null;
    }
    if (statusCode === JobStatus.Settled) {
      info.result = await this.settlement(id, blockNumber);
    } else if (
      statusCode === JobStatus.Cancelled ||
      statusCode === JobStatus.Expired ||
      statusCode === JobStatus.Refunded
    ) {
      const ended = await this.refundOf(id, statusCode, blockNumber);
      info.refund = ended?.refund ?? null;
      info.ruling = ended?.ruling ?? null;
    }
    return info;
  }

  /**
   * Resolves with the verified result once the job settles (from `JobSettled`). An optimistic result settles when its
   * challenge window has passed and someone finalizes it (`{ finalize: true }`: this client does), or when a dispute
   * upholds it. Rejects with a `VeritasJobError` if the job is cancelled, expired or refunded after a dispute
   * (`Cancelled`, `Expired`, `Refunded`, with the refund), can no longer settle because its final deadline passed
   * (`PastDeadline`: call `expire` for the refund), is unknown, or on `timeout`.
   */
  async waitForResult(jobId: BigNumberish, options: WaitOptions = {}): Promise<InferenceResult> {
    const id = BigInt(jobId);
    const timeout = options.timeout ?? 600_000;
    const interval = options.pollInterval ?? this.pollInterval;
    const deadline = Date.now() + timeout;
    for (;;) {
      const status = await this.jobStatus(id);
      if (status === JobStatus.None) throw new VeritasJobError("UnknownJob", id, `UnknownJob(jobId=${id})`);
      if (status === JobStatus.Settled) {
        const result = await this.settlement(id, (await this.requested(id)).blockNumber);
        if (result) return result;
      } else if (status === JobStatus.Cancelled || status === JobStatus.Expired || status === JobStatus.Refunded) {
        const name = JOB_STATUS_NAMES[status] as "Cancelled" | "Expired" | "Refunded";
        const ended = await this.refundOf(id, status, (await this.requested(id)).blockNumber);
        const how = ended?.ruling ? ` after the dispute ruled ${ended.ruling}` : "";
        throw new VeritasJobError(
          name,
          id,
          `job ${id} was ${name.toLowerCase()}${how} (refund ${ended?.refund ?? 0n})`,
          ended?.refund,
        );
      } else if (status === JobStatus.Proposed || status === JobStatus.Disputed) {
        // An optimistic result: it settles after its window (finalize) or a ruling; deadlines no longer apply.
        if (options.finalize && status === JobStatus.Proposed) {
          const { blockNumber } = await this.requested(id);
          const proposal = await this.lastProposal(id, blockNumber);
          if (proposal && (await this.blockTimestamp("latest")) >= proposal.challengeEnds) {
            try {
              await this.finalize(id);
              continue;
            } catch (e) {
              if (!(e instanceof VeritasError)) throw e; // e.g. finalized by someone else first: poll again
            }
          }
        }
      } else if (status === JobStatus.Open || status === JobStatus.Claimed) {
        // Open from `expiresAt` on, nobody can claim or fulfil it; a claimer can deliver until its `deliverBy`, never
        // later than `expiresAt`. Past that the job can only be expired (or the claimer reported), never settled.
        const { job } = await this.requested(id);
        const now = await this.blockTimestamp("latest");
        if (status === JobStatus.Open ? now >= job.expiresAt : now > job.expiresAt) {
          throw new VeritasJobError(
            "PastDeadline",
            id,
            status === JobStatus.Open
              ? `job ${id} reached its final deadline (${job.expiresAt}) unserved: call expire(jobId) to refund it`
              : `job ${id}'s claimer missed its delivery and the final deadline (${job.expiresAt}) passed: ` +
                  "reportMissedDeadline(job, claim) slashes it and refunds the job",
          );
        }
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new VeritasJobError(
          "Timeout",
          id,
          `job ${id} not settled within ${timeout} ms (status ${JOB_STATUS_NAMES[status]})`,
        );
      await sleep(Math.min(interval, left));
    }
  }

  /**
   * `waitForResult` plus how the result was verified (`verification`: the enclave key and its attestation, the ZK
   * verifier and proof transaction, or the optimistic proposal and its finalization) and the request and settlement
   * times.
   */
  async waitForVerifiedResult(jobId: BigNumberish, options: WaitOptions = {}): Promise<VerifiedResult> {
    const result = await this.waitForResult(jobId, options);
    const { job, blockNumber } = await this.requested(result.jobId);
    const [requestedAt, settledAt] = await Promise.all([
      this.blockTimestamp(blockNumber),
      this.blockTimestamp(result.blockNumber),
    ]);
    const mode = (Object.keys(Mode) as ModeName[]).find((k) => Mode[k] === Number(job.mode)) ?? "TEE";
    return {
      ...result,
      mode,
      verification: await this.verificationOf(result),
      requestedAt: Number(requestedAt),
      settledAt: Number(settledAt),
    };
  }

  /** Requests an inference and waits for its verified result (`requestInference`, then `waitForVerifiedResult`). */
  async requestAndWait(
    params: RequestInferenceParams,
    options: RequestOptions & WaitOptions = {},
  ): Promise<VerifiedResult & { request: RequestedJob }> {
    const request = await this.requestInference(params, options);
    return { ...(await this.waitForVerifiedResult(request.jobId, options)), request };
  }

  /**
   * How a settled job's result was verified (see `Verification`), from its settling transaction and events (searched
   * from the job's request block; an enclave key's registration from the client's `fromBlock`).
   */
  async verificationOf(result: InferenceResult): Promise<Verification> {
    const { job, blockNumber } = await this.requested(result.jobId);
    const mode = Number(job.mode);
    const { escrow } = this.addresses;
    if (mode === Mode.OPTIMISTIC) {
      const proposed = (await this.jobEvents("ResultProposed", result.jobId, blockNumber)).at(-1);
      const disputed = await this.jobEvents("JobDisputed", result.jobId, blockNumber);
      let byProof = false;
      if (disputed.length > 0) {
        const disputes = await this.escrowCall<string>("disputeManager");
        const [resolved] = await this.events({
          key: "DisputeManager",
          address: disputes,
          event: "DisputeResolved",
          args: { jobId: result.jobId },
          fromBlock: blockNumber,
        });
        byProof = resolved ? Boolean(resolved.args.byProof) : false;
      }
      return {
        mode: "OPTIMISTIC",
        proposalTx: proposed?.transactionHash ?? "",
        challengeEnds: proposed ? BigInt(proposed.args.challengeEnds as bigint) : 0n,
        settledBy: disputed.length > 0 ? "dispute" : "finalize",
        byProof,
        transactionHash: result.transactionHash,
      };
    }
    if (mode === Mode.ZK) {
      const registry = this.addresses.registry ?? (await this.escrowCall<string>("registry"));
      const version = await this.call<{ zkVerifier: string }>("ModelRegistry", registry, "getVersion", job.versionId);
      return { mode: "ZK", verifier: version.zkVerifier, transactionHash: result.transactionHash };
    }
    const tee: Verification = {
      mode: "TEE",
      enclaveKey: null,
      measurement: null,
      attestationTx: null,
      batchSize: 1,
      transactionHash: result.transactionHash,
    };
    const tx = await this.transactionInput(result.transactionHash);
    const call = tx && tx.to?.toLowerCase() === escrow.toLowerCase() ? parseEscrowCall(tx.data) : null;
    if (!call || (call.name !== "submitResult" && call.name !== "submitBatch")) return tee;
    const verifier = await this.escrowCall<string>("verifierOf", Mode.TEE);
    const view = <T>(fn: string, ...args: unknown[]) => this.call<T>("TeeResultVerifier", verifier, fn, ...args);
    let digest: string;
    if (call.name === "submitResult") {
      const output = call.args.output as string;
      digest = await view<string>(
        "resultDigest",
        escrow,
        result.jobId,
        job.versionId,
        job.inputDigest,
        keccak256(output),
      );
    } else {
      const jobs = (call.args.jobs as Readonly<Record<string, unknown>>[]).map((j) => toJob(j));
      const outputs = call.args.outputs as string[];
      tee.batchSize = jobs.length;
      const hashes = await Promise.all(
        jobs.map((j, i) =>
          view<string>("resultStructHash", escrow, jobIdOf(j), j.versionId, j.inputDigest, keccak256(outputs[i])),
        ),
      );
      digest = await view<string>("batchDigest", hashes);
    }
    try {
      tee.enclaveKey = recoverAddress(digest, call.args.proof as string);
    } catch {
      return tee;
    }
    const teeRegistry = this.addresses.tee ?? (await view<string>("teeRegistry"));
    const key = await this.call<{ measurement: string }>("TeeRegistry", teeRegistry, "getEnclaveKey", tee.enclaveKey);
    tee.measurement = key.measurement;
    const registered = await this.events({
      key: "TeeRegistry",
      address: teeRegistry,
      event: "EnclaveKeyRegistered",
      args: { node: result.node, enclaveKey: tee.enclaveKey },
      fromBlock: this.fromBlock,
    });
    tee.attestationTx = registered.at(-1)?.transactionHash ?? null;
    return tee;
  }

  /** The job as requested, from the cache or the `JobRequested` event. */
  protected async requested(id: bigint): Promise<{ job: Job; inputURI: string; blockNumber: number }> {
    const cached = this.jobs.get(id);
    if (cached) return cached;
    const [event] = await this.jobEvents("JobRequested", id, this.fromBlock);
    if (!event)
      throw new VeritasJobError("UnknownJob", id, `no JobRequested event for job ${id} since block ${this.fromBlock}`);
    const entry = {
      job: toJob(event.args.job as Readonly<Record<string, unknown>>),
      inputURI: String(event.args.inputURI),
      blockNumber: event.blockNumber,
    };
    this.jobs.set(id, entry);
    return entry;
  }

  private async settlement(id: bigint, fromBlock: number): Promise<InferenceResult | null> {
    const [event] = await this.jobEvents("JobSettled", id, fromBlock);
    if (!event) return null;
    const a = event.args;
    return {
      jobId: id,
      node: String(a.node),
      output: String(a.output),
      outputHash: String(a.outputHash),
      nodeFee: BigInt(a.nodeFee as bigint),
      royalty: BigInt(a.royalty as bigint),
      protocolFee: BigInt(a.protocolFee as bigint),
      transactionHash: event.transactionHash,
      blockNumber: event.blockNumber,
    };
  }

  private async refundOf(
    id: bigint,
    status: number,
    fromBlock: number,
  ): Promise<{ refund: bigint; ruling: RulingName | null } | null> {
    const event =
      status === JobStatus.Refunded ? "JobRefunded" : status === JobStatus.Cancelled ? "JobCancelled" : "JobExpired";
    const [e] = await this.jobEvents(event, id, fromBlock);
    if (!e) return null;
    const ruling = status === JobStatus.Refunded ? (RULING_NAMES[Number(e.args.ruling)] ?? null) : null;
    return { refund: BigInt(e.args.refund as bigint), ruling };
  }

  /** The last claim of a job (`JobClaimed`; a missed deadline reopens the job and a later claim replaces it). */
  private async lastClaim(id: bigint, fromBlock: number): Promise<Claim | null> {
    const last = (await this.jobEvents("JobClaimed", id, fromBlock)).at(-1);
    return last ? { node: String(last.args.node), deliverBy: BigInt(last.args.deliverBy as bigint) } : null;
  }

  /** The last optimistic proposal of a job (`ResultProposed`). */
  private async lastProposal(id: bigint, fromBlock: number): Promise<OptimisticProposal | null> {
    const last = (await this.jobEvents("ResultProposed", id, fromBlock)).at(-1);
    if (!last) return null;
    const a = last.args;
    return {
      node: String(a.node),
      outputHash: String(a.outputHash),
      challengeEnds: BigInt(a.challengeEnds as bigint),
      output: String(a.output),
    };
  }
}

/** An escrow call decoded from calldata, its arguments by name (null if it is not one of the escrow's functions). */
function parseEscrowCall(data: string): { name: string; args: Readonly<Record<string, unknown>> } | null {
  try {
    const parsed = escrowAbi().parseTransaction({ data });
    if (!parsed) return null;
    const args = Object.fromEntries(parsed.fragment.inputs.map((p, i) => [p.name, parsed.args[i]]));
    return { name: parsed.name, args };
  } catch {
    return null;
  }
}
