/**
 * The layer every Veritas client shares, whatever its transport (ethers v6: src/client.ts, viem: src/viem.ts) and
 * whatever its role (src/roles.ts): the client's types, the request defaults and input digests, the transport a client
 * supplies (`VeritasTransport`: a view call, an event query, a transaction, a block's timestamp and a transaction's
 * calldata), and `VeritasConnection`, which the role clients of one client share: the transport with its error
 * decoding, the contracts' addresses, and the job records read from the escrow's events.
 */
import { Interface, keccak256, toUtf8Bytes, type BigNumberish, type InterfaceAbi } from "ethers";
import {
  DisputeManager__factory,
  InferenceEscrow__factory,
  ModelRegistry__factory,
  NodeStaking__factory,
  TeeRegistry__factory,
  TeeResultVerifier__factory,
} from "../typechain-types/index.js";
import {
  DEFAULT_DELIVERY_WINDOW_SECONDS,
  DEFAULT_REQUEST_TTL_SECONDS,
  JobStatus,
  Mode,
  RULING_NAMES,
  type JobStatusName,
  type ModeName,
  type RulingName,
} from "./constants.js";
import { loadDeployment, parseDeployment, type DeploymentRecord, type VeritasAddresses } from "./deployments.js";
import { toVeritasError, VeritasError, VeritasJobError } from "./errors.js";
import { toJob, type Claim, type Job, type LogLike, type Proposal } from "./jobs.js";
import { lastLogUpTo } from "./logs.js";
import { commitInput, isInt8Vector, toBytes32 } from "./zk.js";

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
  if (input === undefined) throw new VeritasError("INVALID_INPUT", "requestInference: give `inputDigest` or `input`");
  if (vector) {
    if (!isInt8Vector(vector))
      throw new VeritasError(
        "INVALID_INPUT",
        "requestInference: an array `input` must be a non-empty vector of int8 integers",
      );
    return { inputDigest: zk ? toBytes32(commitInput(vector)) : keccak256(toUtf8Bytes(json!)), inputURI };
  }
  // keccak256 of the bytes is the digest of TEE and optimistic jobs only: a ZK job needs the circuit's input
  // commitment, or it can never be proven.
  if (zk)
    throw new VeritasError(
      "INVALID_INPUT",
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
  NodeStaking: NodeStaking__factory.abi,
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
  /** Last block searched (default: the latest). */
  toBlock?: number;
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

const interfaces = new Map<keyof typeof VERITAS_CLIENT_ABIS, Interface>();
/** The ethers `Interface` of a Veritas contract the clients call (to parse receipts' logs and calldata). */
export function clientInterface(key: keyof typeof VERITAS_CLIENT_ABIS): Interface {
  let i = interfaces.get(key);
  if (!i) interfaces.set(key, (i = new Interface(VERITAS_CLIENT_ABIS[key] as InterfaceAbi)));
  return i;
}

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
      throw new VeritasError(
        "DEPLOYMENT_NOT_FOUND",
        `${who}: no Veritas deployment is packaged for chain ${wanted}; pass { addresses } or { deployment }`,
      );
    }
  }
  if (deployment && BigInt(deployment.chainId) !== chainId) {
    throw new VeritasError(
      "CHAIN_MISMATCH",
      `${who}: the deployment is for chain ${deployment.chainId}, the provider is on chain ${chainId}`,
    );
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

/**
 * What a client's transport does: everything the role clients need from ethers or viem. `Receipt` is what its
 * transactions resolve with (an ethers or a viem receipt). `write` and `read` throw a contract's revert as a
 * `VeritasRevertError`, a mined transaction that reverted without data as a `VeritasTransactionError`.
 */
export interface VeritasTransport<Receipt> {
  /** The deployment's contract addresses (at least `escrow`). */
  readonly addresses: VeritasAddresses;
  readonly chainId: bigint;
  /** Earliest block searched for events. */
  readonly fromBlock: number;
  /** Polling interval of `waitForResult`, in ms. */
  readonly pollInterval: number;
  /** Most blocks a backward log search (`lastLogUpTo`) asks for in one query. */
  readonly maxBlockRange: number;
  /** The latest block's number. */
  blockNumber(): Promise<number>;
  /** The sending account's address; throws `NO_SIGNER` for a read-only client. */
  account(): Promise<string>;
  /** A view call `fn(...args)` of the contract at `address` (raw result: ethers `Result` or viem's values). */
  read(key: ContractKey, address: string, fn: string, args: readonly unknown[]): Promise<unknown>;
  /** Sends `fn(...args)` to the contract at `address` and waits for it to be mined. */
  write(key: ContractKey, address: string, fn: string, args: readonly unknown[]): Promise<Receipt>;
  /** The events `event` of the contract at `address` whose indexed arguments match `args`, from `fromBlock`, in order. */
  events(query: EventQuery): Promise<EventRecord[]>;
  /** A block's timestamp, unix seconds. */
  blockTimestamp(block: number | "latest"): Promise<bigint>;
  /** A transaction's recipient and calldata, or null if it is not found. */
  transactionInput(hash: string): Promise<{ to: string | null; data: string } | null>;
  /** The hash, block and logs of a receipt. */
  receiptInfo(receipt: Receipt): ReceiptInfo;
}

/** A job as requested: its parameters and URI from `JobRequested`, and the block it was requested in. */
export type RequestedRecord = { job: Job; inputURI: string; blockNumber: number };

/** A contract whose address a deployment may leave out: it is then read from the contract that knows it. */
type LinkedContract = "paymentToken" | "registry" | "staking" | "tee" | "teeVerifier" | "stakingToken";

/**
 * What the role clients of one client share (src/roles.ts): the transport, with every view call's revert decoded;
 * the contracts' addresses (from the deployment, else read once from the escrow); and the records of jobs, read from
 * the escrow's events from the block a job was requested in (a job this client requested is known from its receipt,
 * and the `JobRequested` of any other is looked up once, backwards from the head in bounded ranges: `lastEvent`).
 */
export class VeritasConnection<Receipt> {
  private readonly requests = new Map<bigint, RequestedRecord>();
  private readonly linked = new Map<LinkedContract, Promise<string>>();

  constructor(readonly transport: VeritasTransport<Receipt>) {}

  get addresses(): VeritasAddresses {
    return this.transport.addresses;
  }
  get chainId(): bigint {
    return this.transport.chainId;
  }

  /** The sending account (throws `NO_SIGNER` for a read-only client). */
  account(): Promise<string> {
    return this.transport.account();
  }

  /** A view call through the client's error decoding. */
  async call<T>(key: ContractKey, address: string, fn: string, ...args: unknown[]): Promise<T> {
    try {
      return (await this.transport.read(key, address, fn, args)) as T;
    } catch (e) {
      throw toVeritasError(e);
    }
  }

  /** Sends `fn(...args)` (reverts: `VeritasRevertError`). */
  write(key: ContractKey, address: string, fn: string, ...args: unknown[]): Promise<Receipt> {
    return this.transport.write(key, address, fn, args);
  }

  escrowCall<T>(fn: string, ...args: unknown[]): Promise<T> {
    return this.call<T>("InferenceEscrow", this.addresses.escrow, fn, ...args);
  }

  escrowWrite(fn: string, ...args: unknown[]): Promise<Receipt> {
    return this.write("InferenceEscrow", this.addresses.escrow, fn, ...args);
  }

  /**
   * The address of a contract of the deployment: from `addresses` when it names it, else read once from the contract
   * that holds it (the escrow's `paymentToken`, `registry`, `staking`, `verifierOf(TEE)`; the TEE verifier's
   * `teeRegistry`; the staking contract's `stakingToken`).
   */
  address(which: LinkedContract): Promise<string> {
    let found = this.linked.get(which);
    if (!found) {
      found = this.lookUp(which);
      this.linked.set(which, found);
      found.catch(() => this.linked.delete(which)); // a failed look-up is tried again next time
    }
    return found;
  }

  private async lookUp(which: LinkedContract): Promise<string> {
    const a = this.addresses;
    switch (which) {
      case "paymentToken":
        return a.paymentToken ?? (await this.escrowCall<string>("paymentToken"));
      case "registry":
        return a.registry ?? (await this.escrowCall<string>("registry"));
      case "staking":
        return a.staking ?? (await this.escrowCall<string>("staking"));
      case "teeVerifier":
        return await this.escrowCall<string>("verifierOf", Mode.TEE);
      case "tee":
        return (
          a.tee ?? (await this.call<string>("TeeResultVerifier", await this.address("teeVerifier"), "teeRegistry"))
        );
      case "stakingToken":
        return await this.call<string>("NodeStaking", await this.address("staking"), "stakingToken");
    }
  }

  /** Approves `spender` for `amount` of `token` if `owner`'s allowance is short. */
  async ensureAllowance(token: string, owner: string, spender: string, amount: bigint): Promise<void> {
    const allowance = BigInt(await this.call<bigint>("ERC20", token, "allowance", owner, spender));
    if (allowance < amount) await this.write("ERC20", token, "approve", spender, amount);
  }

  // ---- jobs ----

  async jobStatus(id: bigint): Promise<number> {
    return Number(await this.escrowCall<bigint | number>("jobStatus", id));
  }

  /** The escrow's events `event` of a job, from `fromBlock` (to `toBlock`, default the latest). */
  jobEvents(event: JobEvent, jobId: bigint, fromBlock: number, toBlock?: number): Promise<EventRecord[]> {
    return this.transport.events({
      key: "InferenceEscrow",
      address: this.addresses.escrow,
      event,
      args: { jobId },
      fromBlock,
      toBlock,
    });
  }

  /**
   * The last event `query` names at or below `toBlock` (default: the latest block), searched backwards in ranges of
   * `maxBlockRange` blocks down to the client's `fromBlock`: a recent event costs one query, and no query spans the
   * chain from block 0.
   */
  async lastEvent(
    query: Omit<EventQuery, "fromBlock" | "toBlock">,
    toBlock?: number,
  ): Promise<EventRecord | undefined> {
    const { fromBlock, maxBlockRange } = this.transport;
    const head = toBlock ?? (await this.transport.blockNumber());
    return lastLogUpTo((from, to) => this.transport.events({ ...query, fromBlock: from, toBlock: to }), head, {
      fromBlock,
      maxRange: maxBlockRange,
    });
  }

  /** Records a job this client requested (from its receipt): it is never looked up in the logs. */
  remember(jobId: bigint, record: RequestedRecord): void {
    this.requests.set(jobId, record);
  }

  /**
   * The job as requested: recorded, or from its `JobRequested` event (searched once, backwards from the latest block
   * down to the client's `fromBlock`, in bounded ranges: `lastEvent`).
   */
  async requested(id: bigint): Promise<RequestedRecord> {
    const known = this.requests.get(id);
    if (known) return known;
    const { fromBlock } = this.transport;
    const event = await this.lastEvent({
      key: "InferenceEscrow",
      address: this.addresses.escrow,
      event: "JobRequested",
      args: { jobId: id },
    });
    if (!event)
      throw new VeritasJobError("UNKNOWN_JOB", id, `no JobRequested event for job ${id} since block ${fromBlock}`);
    const record = {
      job: toJob(event.args.job as Readonly<Record<string, unknown>>),
      inputURI: String(event.args.inputURI),
      blockNumber: event.blockNumber,
    };
    this.requests.set(id, record);
    return record;
  }

  /** The settlement of a job (`JobSettled`), if it settled. */
  async settlement(id: bigint, fromBlock: number): Promise<InferenceResult | null> {
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

  /** The refund of a job that ended without a result (and the ruling of a dispute that refunded it). */
  async refundOf(
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
  async lastClaim(id: bigint, fromBlock: number): Promise<Claim | null> {
    const last = (await this.jobEvents("JobClaimed", id, fromBlock)).at(-1);
    return last ? { node: String(last.args.node), deliverBy: BigInt(last.args.deliverBy as bigint) } : null;
  }

  /** The last optimistic proposal of a job (`ResultProposed`). */
  async lastProposal(id: bigint, fromBlock: number): Promise<OptimisticProposal | null> {
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

  /** Sends `finalize` for an optimistic job's last proposal (`NO_PROPOSAL` if it has none). */
  async finalize(id: bigint): Promise<Receipt> {
    const { job, blockNumber } = await this.requested(id);
    const claim = await this.lastClaim(id, blockNumber);
    const proposal = await this.lastProposal(id, blockNumber);
    if (!claim || !proposal) throw new VeritasJobError("NO_PROPOSAL", id, `job ${id} has no optimistic proposal`);
    const { outputHash, challengeEnds, output } = proposal;
    return this.escrowWrite("finalize", job, claim, { outputHash, challengeEnds }, output);
  }
}
