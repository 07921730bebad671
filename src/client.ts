import {
  Contract,
  keccak256,
  recoverAddress,
  toUtf8Bytes,
  ZeroAddress,
  type BigNumberish,
  type ContractTransactionResponse,
  type Provider,
  type Result,
  type Signer,
  type TransactionReceipt,
} from "ethers";
import {
  DisputeManager__factory,
  InferenceEscrow__factory,
  ModelRegistry__factory,
  NodeStaking__factory,
  TeeRegistry__factory,
  TeeResultVerifier__factory,
  type InferenceEscrow,
  type ModelRegistry,
  type NodeStaking,
  type TeeRegistry,
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
import { commitInput, isInt8Vector, toBytes32 } from "./zk.js";
import { jobIdOf, requestedJobs, toJob, type Claim, type Job, type Proposal } from "./jobs.js";

/** The ERC-20 functions the client uses on the payment token. */
export const ERC20_ABI = [
  "function approve(address spender, uint256 amount) returns (bool)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function balanceOf(address account) view returns (uint256)",
  "function decimals() view returns (uint8)",
  "function symbol() view returns (string)",
] as const;

export type ConnectOptions = {
  /** Contract addresses (at least `escrow`). */
  addresses?: VeritasAddresses;
  /** A deployment record (deployments/<chainId>.json of the repository, or your own). */
  deployment?: DeploymentRecord | string;
  /** Look the addresses up in the deployments packaged for this chain (default: the provider's chain id). */
  chainId?: number | bigint;
  /** Earliest block to search for events (default: the deployment's `deployedAtBlock`, else 0). */
  fromBlock?: number;
  /** Polling interval of `waitForResult`, in ms (default 1000). */
  pollInterval?: number;
};

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isSigner(runner: Signer | Provider): runner is Signer {
  return (
    typeof (runner as Signer).getAddress === "function" && typeof (runner as Signer).sendTransaction === "function"
  );
}

/** Rethrows a Veritas revert as a `VeritasError` (name and arguments decoded); other errors unchanged. */
export function toVeritasError(e: unknown): unknown {
  if (e instanceof VeritasError) return e;
  const decoded = decodeVeritasError(e);
  return decoded ? new VeritasError(decoded, { cause: e }) : e;
}

/**
 * A typed client for requesters (and node operators' withdrawals): connect with an ethers v6 Signer (to send) or
 * Provider (read only) and the addresses of a deployment.
 *
 *   const client = await VeritasClient.connect(signer);                 // deployments packaged for the chain
 *   const client = await VeritasClient.connect(signer, { addresses });   // any deployment
 *   await client.deposit(5_000_000n);
 *   const { jobId } = await client.requestInference({ versionId: 1n, payment: 1_000_000n, input: "…", inputURI: "ipfs://…" });
 *   const { output } = await client.waitForResult(jobId, { timeout: 120_000 });
 *
 * Reverts are thrown as `VeritasError`, whose message is the custom error with its arguments.
 */
export class VeritasClient {
  readonly escrow: InferenceEscrow;
  readonly registry: ModelRegistry | undefined;
  readonly staking: NodeStaking | undefined;
  readonly tee: TeeRegistry | undefined;
  readonly signer: Signer | undefined;
  readonly provider: Provider;
  fromBlock: number;
  pollInterval: number;
  private paymentTokenContract: Contract | undefined;
  private readonly requestBlocks = new Map<bigint, number>();
  private readonly jobs = new Map<bigint, { job: Job; inputURI: string; blockNumber: number }>();

  private constructor(
    runner: Signer | Provider,
    readonly addresses: VeritasAddresses,
    readonly chainId: bigint,
    options: ConnectOptions & { fromBlock: number },
  ) {
    this.signer = isSigner(runner) ? runner : undefined;
    const provider = isSigner(runner) ? runner.provider : runner;
    if (!provider) throw new Error("VeritasClient: the signer has no provider");
    this.provider = provider;
    this.escrow = InferenceEscrow__factory.connect(addresses.escrow, runner);
    this.registry = addresses.registry ? ModelRegistry__factory.connect(addresses.registry, runner) : undefined;
    this.staking = addresses.staking ? NodeStaking__factory.connect(addresses.staking, runner) : undefined;
    this.tee = addresses.tee ? TeeRegistry__factory.connect(addresses.tee, runner) : undefined;
    this.fromBlock = options.fromBlock;
    this.pollInterval = options.pollInterval ?? 1000;
  }

  /**
   * Connects to a deployment: `addresses`, a `deployment` record, or the deployment packaged for `chainId` (default:
   * the provider's chain). Throws if none is found.
   */
  static async connect(runner: Signer | Provider, options: ConnectOptions = {}): Promise<VeritasClient> {
    const provider = isSigner(runner) ? runner.provider : runner;
    if (!provider) throw new Error("VeritasClient: the signer has no provider");
    const chainId = (await provider.getNetwork()).chainId;
    let deployment: DeploymentRecord | undefined;
    if (options.deployment !== undefined) deployment = parseDeployment(options.deployment);
    else if (!options.addresses) {
      const wanted = options.chainId ?? chainId;
      deployment = await loadDeployment(wanted);
      if (!deployment) {
        throw new Error(
          `VeritasClient: no Veritas deployment is packaged for chain ${wanted}; pass { addresses } or { deployment }`,
        );
      }
    }
    if (deployment && BigInt(deployment.chainId) !== chainId) {
      throw new Error(
        `VeritasClient: the deployment is for chain ${deployment.chainId}, the provider is on chain ${chainId}`,
      );
    }
    const addresses = options.addresses ?? deployment!.contracts;
    const fromBlock = options.fromBlock ?? deployment?.deployedAtBlock ?? 0;
    return new VeritasClient(runner, addresses, chainId, { ...options, fromBlock });
  }

  /** A client for the same deployment acting as another signer. */
  connectSigner(signer: Signer): VeritasClient {
    return new VeritasClient(signer, this.addresses, this.chainId, {
      fromBlock: this.fromBlock,
      pollInterval: this.pollInterval,
    });
  }

  /** The payment token (ERC-20 functions of `ERC20_ABI`). */
  async paymentToken(): Promise<Contract> {
    if (!this.paymentTokenContract) {
      const address = this.addresses.paymentToken ?? (await this.escrow.paymentToken());
      this.paymentTokenContract = new Contract(address, ERC20_ABI, this.signer ?? this.provider);
    }
    return this.paymentTokenContract;
  }

  /** The signer's address; throws for a read-only client. */
  async account(): Promise<string> {
    return (await this.needSigner()).getAddress();
  }

  /** An account's withdrawable escrow balance: prepaid funds, refunds and earnings (default: the signer's). */
  async balanceOf(account?: string): Promise<bigint> {
    return this.escrow.balanceOf(account ?? (await this.account()));
  }

  /** Deposits `amount` into `account`'s escrow balance (default: the signer's), approving the escrow if needed. */
  async deposit(amount: BigNumberish, options: { account?: string } = {}): Promise<TransactionReceipt> {
    const owner = await this.account();
    await this.ensureAllowance(owner, BigInt(amount));
    return this.send(() => this.escrow.deposit(options.account ?? owner, amount));
  }

  /** Withdraws from the signer's escrow balance (default: all of it) to `to` (default: the signer). */
  async withdraw(amount?: BigNumberish, to?: string): Promise<TransactionReceipt> {
    const owner = await this.account();
    const value = amount === undefined ? await this.escrow.balanceOf(owner) : BigInt(amount);
    return this.send(() => this.escrow.withdraw(value, to ?? owner));
  }

  /** Requests an inference, paid from the prepaid balance (default) or with a transfer. */
  async requestInference(params: RequestInferenceParams, options: RequestOptions = {}): Promise<RequestedJob> {
    const signer = await this.needSigner();
    const payment = BigInt(params.payment);
    const { inputDigest, inputURI } = inputOf(params);
    let expiresAt = params.expiresAt;
    if (expiresAt === undefined) {
      const latest = await this.provider.getBlock("latest");
      expiresAt = BigInt(latest!.timestamp) + BigInt(params.ttl ?? DEFAULT_REQUEST_TTL_SECONDS);
    }
    const request = {
      versionId: params.versionId,
      mode: params.mode ?? Mode.TEE,
      node: params.node ?? ZeroAddress,
      payment,
      deliveryWindow: params.deliveryWindow ?? DEFAULT_DELIVERY_WINDOW_SECONDS,
      expiresAt,
      callbackGasLimit: params.callbackGasLimit ?? 0,
      inputDigest,
      inputURI,
    };
    const pay = options.pay ?? "balance";
    if (pay === "transfer" && options.approve !== false) await this.ensureAllowance(await signer.getAddress(), payment);
    const receipt = await this.send(() =>
      pay === "transfer" ? this.escrow.requestInferenceWithTransfer(request) : this.escrow.requestInference(request),
    );
    const [requested] = requestedJobs(this.escrow, receipt.logs);
    if (!requested) throw new Error(`requestInference: no JobRequested event in transaction ${receipt.hash}`);
    const { jobId, job } = requested;
    this.requestBlocks.set(jobId, receipt.blockNumber);
    this.jobs.set(jobId, { job, inputURI: requested.inputURI, blockNumber: receipt.blockNumber });
    return { ...requested, transactionHash: receipt.hash, blockNumber: receipt.blockNumber };
  }

  /**
   * Asks to cancel an open job of the signer. The job stays open (nodes may still serve it, and a result is paid) for
   * the escrow's cancel grace period (`CANCEL_GRACE_PERIOD_SECONDS`, 10 minutes); then `cancel` refunds it.
   */
  async requestCancel(jobId: BigNumberish): Promise<TransactionReceipt> {
    const { job } = await this.requested(BigInt(jobId));
    return this.send(() => this.escrow.requestCancel(job));
  }

  /** When a requested cancel can be completed (unix seconds), or 0n if none was requested. */
  async cancellableAt(jobId: BigNumberish): Promise<bigint> {
    return this.escrow.cancellableAt(BigInt(jobId));
  }

  /**
   * Completes the cancel of an open job of the signer after `requestCancel` and its grace period; the payment goes back
   * to its escrow balance.
   */
  async cancel(jobId: BigNumberish): Promise<TransactionReceipt> {
    const { job } = await this.requested(BigInt(jobId));
    return this.send(() => this.escrow.cancel(job));
  }

  /** Expires an open job past its final deadline (anyone may), refunding the requester's escrow balance. */
  async expire(jobId: BigNumberish): Promise<TransactionReceipt> {
    const { job } = await this.requested(BigInt(jobId));
    return this.send(() => this.escrow.expire(job));
  }

  /** A job's status, its parameters (from `JobRequested`), its current claim and proposal, and its result or refund. */
  async getJob(jobId: BigNumberish): Promise<JobInfo> {
    const id = BigInt(jobId);
    const statusCode = Number(await this.escrow.jobStatus(id));
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
      const [disputed] = (await this.escrow.queryFilter(this.escrow.filters.JobDisputed(id), blockNumber)).slice(-1);
      info.challenger = disputed ? disputed.args.challenger : null;
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
   * Finalizes an optimistic job whose proposal's challenge window has passed unchallenged (anyone may): the job
   * settles with the proposed output.
   */
  async finalize(jobId: BigNumberish): Promise<TransactionReceipt> {
    const id = BigInt(jobId);
    const { job, blockNumber } = await this.requested(id);
    const claim = await this.lastClaim(id, blockNumber);
    const proposal = await this.lastProposal(id, blockNumber);
    if (!claim || !proposal) throw new VeritasJobError("UnknownJob", id, `job ${id} has no optimistic proposal`);
    const { outputHash, challengeEnds, output } = proposal;
    return this.send(() => this.escrow.finalize(job, claim, { outputHash, challengeEnds }, output));
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
      const status = Number(await this.escrow.jobStatus(id));
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
          const latest = await this.provider.getBlock("latest");
          if (proposal && latest && BigInt(latest.timestamp) >= proposal.challengeEnds) {
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
        const latest = await this.provider.getBlock("latest");
        const now = latest ? BigInt(latest.timestamp) : 0n;
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
    return this.verifiedResult(result);
  }

  /** Requests an inference and waits for its verified result (`requestInference`, then `waitForVerifiedResult`). */
  async requestAndWait(
    params: RequestInferenceParams,
    options: RequestOptions & WaitOptions = {},
  ): Promise<VerifiedResult & { request: RequestedJob }> {
    const request = await this.requestInference(params, options);
    return { ...(await this.waitForVerifiedResult(request.jobId, options)), request };
  }

  /** How a settled job's result was verified (see `Verification`), from its settling transaction and events. */
  async verificationOf(result: InferenceResult): Promise<Verification> {
    const { job, blockNumber } = await this.requested(result.jobId);
    const mode = Number(job.mode);
    if (mode === Mode.OPTIMISTIC) {
      const proposed = (
        await this.escrow.queryFilter(this.escrow.filters.ResultProposed(result.jobId), blockNumber)
      ).at(-1);
      const disputed = await this.escrow.queryFilter(this.escrow.filters.JobDisputed(result.jobId), blockNumber);
      let byProof = false;
      if (disputed.length > 0) {
        const disputes = DisputeManager__factory.connect(await this.escrow.disputeManager(), this.provider);
        const [resolved] = await disputes.queryFilter(disputes.filters.DisputeResolved(result.jobId), blockNumber);
        byProof = resolved ? resolved.args.byProof : false;
      }
      return {
        mode: "OPTIMISTIC",
        proposalTx: proposed?.transactionHash ?? "",
        challengeEnds: proposed ? BigInt(proposed.args.challengeEnds) : 0n,
        settledBy: disputed.length > 0 ? "dispute" : "finalize",
        byProof,
        transactionHash: result.transactionHash,
      };
    }
    if (mode === Mode.ZK) {
      const registry = this.registry ?? ModelRegistry__factory.connect(await this.escrow.registry(), this.provider);
      const version = await registry.getVersion(job.versionId);
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
    const tx = await this.provider.getTransaction(result.transactionHash);
    const call = tx && tx.to?.toLowerCase() === this.addresses.escrow.toLowerCase() ? this.parseCall(tx.data) : null;
    if (!call || (call.name !== "submitResult" && call.name !== "submitBatch")) return tee;
    const verifier = TeeResultVerifier__factory.connect(await this.escrow.verifierOf(Mode.TEE), this.provider);
    let digest: string;
    if (call.name === "submitResult") {
      digest = await verifier.resultDigest(
        this.addresses.escrow,
        result.jobId,
        job.versionId,
        job.inputDigest,
        keccak256(call.args.output),
      );
    } else {
      const jobs = (call.args.jobs as Result[]).map((j) => toJob(j));
      const outputs = call.args.outputs as string[];
      tee.batchSize = jobs.length;
      const hashes = await Promise.all(
        jobs.map((j, i) =>
          verifier.resultStructHash(
            this.addresses.escrow,
            jobIdOf(j),
            j.versionId,
            j.inputDigest,
            keccak256(outputs[i]),
          ),
        ),
      );
      digest = await verifier.batchDigest(hashes);
    }
    try {
      tee.enclaveKey = recoverAddress(digest, call.args.proof as string);
    } catch {
      return tee;
    }
    const teeRegistry = this.tee ?? TeeRegistry__factory.connect(await verifier.teeRegistry(), this.provider);
    tee.measurement = (await teeRegistry.getEnclaveKey(tee.enclaveKey)).measurement;
    const registered = (
      await teeRegistry.queryFilter(teeRegistry.filters.EnclaveKeyRegistered(result.node, tee.enclaveKey), 0)
    ).at(-1);
    tee.attestationTx = registered?.transactionHash ?? null;
    return tee;
  }

  private async verifiedResult(result: InferenceResult): Promise<VerifiedResult> {
    const { job, blockNumber } = await this.requested(result.jobId);
    const [requestedBlock, settledBlock] = await Promise.all([
      this.provider.getBlock(blockNumber),
      this.provider.getBlock(result.blockNumber),
    ]);
    const mode = (Object.keys(Mode) as ModeName[]).find((k) => Mode[k] === Number(job.mode)) ?? "TEE";
    return {
      ...result,
      mode,
      verification: await this.verificationOf(result),
      requestedAt: requestedBlock?.timestamp ?? 0,
      settledAt: settledBlock?.timestamp ?? 0,
    };
  }

  private parseCall(data: string) {
    try {
      return this.escrow.interface.parseTransaction({ data });
    } catch {
      return null;
    }
  }

  /** Sends a transaction through the client's error decoding (a revert becomes a `VeritasError`). */
  async send(fn: () => Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
    try {
      const tx = await fn();
      const receipt = await tx.wait();
      if (!receipt) throw new Error(`transaction ${tx.hash} was dropped`);
      return receipt;
    } catch (e) {
      throw toVeritasError(e);
    }
  }

  private async needSigner(): Promise<Signer> {
    if (!this.signer)
      throw new Error("VeritasClient: connected with a Provider only; connect with a Signer to send transactions");
    return this.signer;
  }

  private async ensureAllowance(owner: string, amount: bigint): Promise<void> {
    const token = await this.paymentToken();
    const allowance = (await token.allowance(owner, this.addresses.escrow)) as bigint;
    if (allowance < amount) {
      await this.send(() => token.approve(this.addresses.escrow, amount) as Promise<ContractTransactionResponse>);
    }
  }

  /** The job as requested, from the cache or the `JobRequested` event. */
  private async requested(id: bigint): Promise<{ job: Job; inputURI: string; blockNumber: number }> {
    const cached = this.jobs.get(id);
    if (cached) return cached;
    const [event] = await this.escrow.queryFilter(
      this.escrow.filters.JobRequested(id),
      this.requestBlocks.get(id) ?? this.fromBlock,
    );
    if (!event)
      throw new VeritasJobError("UnknownJob", id, `no JobRequested event for job ${id} since block ${this.fromBlock}`);
    const entry = {
      job: toJob(event.args.job as unknown as Result),
      inputURI: event.args.inputURI,
      blockNumber: event.blockNumber,
    };
    this.jobs.set(id, entry);
    return entry;
  }

  private async settlement(id: bigint, fromBlock: number): Promise<InferenceResult | null> {
    const [event] = await this.escrow.queryFilter(this.escrow.filters.JobSettled(id), fromBlock);
    if (!event) return null;
    const a = event.args;
    return {
      jobId: id,
      node: a.node,
      output: a.output,
      outputHash: a.outputHash,
      nodeFee: a.nodeFee,
      royalty: a.royalty,
      protocolFee: a.protocolFee,
      transactionHash: event.transactionHash,
      blockNumber: event.blockNumber,
    };
  }

  private async refundOf(
    id: bigint,
    status: number,
    fromBlock: number,
  ): Promise<{ refund: bigint; ruling: RulingName | null } | null> {
    if (status === JobStatus.Refunded) {
      const [event] = await this.escrow.queryFilter(this.escrow.filters.JobRefunded(id), fromBlock);
      return event
        ? { refund: BigInt(event.args.refund), ruling: RULING_NAMES[Number(event.args.ruling)] ?? null }
        : null;
    }
    const filter =
      status === JobStatus.Cancelled ? this.escrow.filters.JobCancelled(id) : this.escrow.filters.JobExpired(id);
    const [event] = await this.escrow.queryFilter(filter, fromBlock);
    return event ? { refund: BigInt(event.args.refund), ruling: null } : null;
  }

  /** The last claim of a job (`JobClaimed`; a missed deadline reopens the job and a later claim replaces it). */
  private async lastClaim(id: bigint, fromBlock: number): Promise<Claim | null> {
    const last = (await this.escrow.queryFilter(this.escrow.filters.JobClaimed(id), fromBlock)).at(-1);
    return last ? { node: last.args.node, deliverBy: BigInt(last.args.deliverBy) } : null;
  }

  /** The last optimistic proposal of a job (`ResultProposed`). */
  private async lastProposal(id: bigint, fromBlock: number): Promise<OptimisticProposal | null> {
    const last = (await this.escrow.queryFilter(this.escrow.filters.ResultProposed(id), fromBlock)).at(-1);
    if (!last) return null;
    const a = last.args;
    return { node: a.node, outputHash: a.outputHash, challengeEnds: BigInt(a.challengeEnds), output: a.output };
  }
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
