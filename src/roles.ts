/**
 * The role clients: one per role, each with only the methods its role needs, all over one `VeritasConnection`
 * (src/connection.ts), so the ethers and the viem client get the same roles from the same code.
 *
 * - `VeritasReader`: jobs, balances, `cancellableAt`, `waitForResult` (reads only; `waitForResult({ finalize })` sends).
 * - `VeritasRequester`: deposits and withdrawals, requests, cancels, expiries, `requestAndWait`.
 * - `VeritasVerification`: how a settled result was verified (`verificationOf`), `waitForVerifiedResult`, `finalize`.
 * - `VeritasModelOwner`: models and versions in the `ModelRegistry`, and the royalties they earn.
 * - `VeritasOperator`: a node in `NodeStaking` (registration, stake, unstaking, withdrawals, rewards) and its enclave keys.
 *
 * A role client holds no state of its own: the connection's job records and addresses are shared by every role of a
 * client, so a job one role requested is known to the others.
 */
import { getAddress, keccak256, recoverAddress, type BigNumberish } from "ethers";
import { JOB_STATUS_NAMES, JobStatus, Mode, modeBit, type JobStatusName, type ModeName } from "./constants.js";
import {
  clientInterface,
  requestStructOf,
  type InferenceResult,
  type JobInfo,
  type RequestedJob,
  type RequestInferenceParams,
  type RequestOptions,
  type Verification,
  type VerifiedResult,
  type VeritasConnection,
  type WaitOptions,
} from "./connection.js";
import { VeritasError, VeritasJobError } from "./errors.js";
import { eventsOf, requestedJobs, toJob } from "./jobs.js";
import { batchDigest, resultDigest, resultStructHash, teeResultDomain } from "./tee.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** The verification modes of a bit mask (`modes` of a version, `capabilities` of a node), as `Mode` values. */
export function modesOf(mask: number): number[] {
  return Object.values(Mode).filter((m) => (mask & modeBit(m)) !== 0);
}

/** The bit mask of verification modes (`Mode` values). */
export function maskOf(modes: readonly number[]): number {
  return modes.reduce((mask, m) => mask | modeBit(m), 0);
}

/** A transaction's result: what it created, with the receipt. */
export type Sent<Receipt, T> = T & { receipt: Receipt; transactionHash: string; blockNumber: number };

/** Reads: jobs, balances, the cancel schedule, and waiting for a result. */
export class VeritasReader<Receipt> {
  constructor(readonly connection: VeritasConnection<Receipt>) {}

  /** The payment token's address (`addresses.paymentToken`, else the escrow's). */
  paymentTokenAddress(): Promise<string> {
    return this.connection.address("paymentToken");
  }

  /** An account's withdrawable escrow balance: prepaid funds, refunds and earnings (default: the signer's). */
  async balanceOf(account?: string): Promise<bigint> {
    const c = this.connection;
    return BigInt(await c.escrowCall<bigint>("balanceOf", account ?? (await c.account())));
  }

  /** When a requested cancel can be completed (unix seconds), or 0n if none was requested. */
  async cancellableAt(jobId: BigNumberish): Promise<bigint> {
    return BigInt(await this.connection.escrowCall<bigint>("cancellableAt", BigInt(jobId)));
  }

  /** A job's status, its parameters (from `JobRequested`), its current claim and proposal, and its result or refund. */
  async getJob(jobId: BigNumberish): Promise<JobInfo> {
    const c = this.connection;
    const id = BigInt(jobId);
    const statusCode = await c.jobStatus(id);
    if (statusCode === JobStatus.None) throw new VeritasJobError("UNKNOWN_JOB", id, `UnknownJob(jobId=${id})`);
    const { job, inputURI, blockNumber } = await c.requested(id);
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
      info.claim = await c.lastClaim(id, blockNumber);
    }
    if (statusCode === JobStatus.Proposed || statusCode === JobStatus.Disputed) {
      info.proposal = await c.lastProposal(id, blockNumber);
    }
    if (statusCode === JobStatus.Disputed || statusCode === JobStatus.Refunded) {
      const disputed = (await c.jobEvents("JobDisputed", id, blockNumber)).at(-1);
      info.challenger = disputed ? String(disputed.args.challenger) : null;
    }
    if (statusCode === JobStatus.Settled) {
      info.result = await c.settlement(id, blockNumber);
    } else if (
      statusCode === JobStatus.Cancelled ||
      statusCode === JobStatus.Expired ||
      statusCode === JobStatus.Refunded
    ) {
      const ended = await c.refundOf(id, statusCode, blockNumber);
      info.refund = ended?.refund ?? null;
      info.ruling = ended?.ruling ?? null;
    }
    return info;
  }

  /**
   * Whether an open or claimed job can no longer settle because its final deadline passed (at the latest block): open
   * from `expiresAt` on, nobody can claim or fulfil it; a claimer can deliver until its `deliverBy`, never later than
   * `expiresAt`. Past that the job can only be expired (or its claimer reported). False for any other status.
   */
  async pastDeadline(info: Pick<JobInfo, "statusCode" | "job">): Promise<boolean> {
    const open = info.statusCode === JobStatus.Open;
    if (!open && info.statusCode !== JobStatus.Claimed) return false;
    const now = await this.connection.transport.blockTimestamp("latest");
    return open ? now >= info.job.expiresAt : now > info.job.expiresAt;
  }

  /**
   * Resolves with the verified result once the job settles (from `JobSettled`). An optimistic result settles when its
   * challenge window has passed and someone finalizes it (`{ finalize: true }`: this client does), or when a dispute
   * upholds it. Rejects with a `VeritasJobError` if the job is cancelled, expired or refunded after a dispute
   * (`JOB_CANCELLED`, `JOB_EXPIRED`, `JOB_REFUNDED`, with the refund), can no longer settle because its final deadline
   * passed (`PAST_DEADLINE`: call `expire` for the refund), is unknown (`UNKNOWN_JOB`), or on `timeout` (`TIMEOUT`).
   */
  async waitForResult(jobId: BigNumberish, options: WaitOptions = {}): Promise<InferenceResult> {
    const c = this.connection;
    const id = BigInt(jobId);
    const timeout = options.timeout ?? 600_000;
    const interval = options.pollInterval ?? c.transport.pollInterval;
    const deadline = Date.now() + timeout;
    for (;;) {
      const status = await c.jobStatus(id);
      if (status === JobStatus.None) throw new VeritasJobError("UNKNOWN_JOB", id, `UnknownJob(jobId=${id})`);
      if (status === JobStatus.Settled) {
        const result = await c.settlement(id, (await c.requested(id)).blockNumber);
        if (result) return result;
      } else if (status === JobStatus.Cancelled || status === JobStatus.Expired || status === JobStatus.Refunded) {
        const name = JOB_STATUS_NAMES[status] as "Cancelled" | "Expired" | "Refunded";
        const ended = await c.refundOf(id, status, (await c.requested(id)).blockNumber);
        const how = ended?.ruling ? ` after the dispute ruled ${ended.ruling}` : "";
        throw new VeritasJobError(
          `JOB_${name.toUpperCase() as Uppercase<typeof name>}`,
          id,
          `job ${id} was ${name.toLowerCase()}${how} (refund ${ended?.refund ?? 0n})`,
          ended?.refund,
        );
      } else if (status === JobStatus.Proposed || status === JobStatus.Disputed) {
        // An optimistic result: it settles after its window (finalize) or a ruling; deadlines no longer apply.
        if (options.finalize && status === JobStatus.Proposed) {
          const { blockNumber } = await c.requested(id);
          const proposal = await c.lastProposal(id, blockNumber);
          if (proposal && (await c.transport.blockTimestamp("latest")) >= proposal.challengeEnds) {
            try {
              await c.finalize(id);
              continue;
            } catch (e) {
              // Finalized by someone else first (refused in simulation, or mined after theirs): poll again.
              if (!(e instanceof VeritasError) || (e.code !== "CONTRACT_REVERT" && e.code !== "TX_REVERTED")) throw e;
            }
          }
        }
      } else if (status === JobStatus.Open || status === JobStatus.Claimed) {
        const { job } = await c.requested(id);
        if (await this.pastDeadline({ statusCode: status, job })) {
          throw new VeritasJobError(
            "PAST_DEADLINE",
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
          "TIMEOUT",
          id,
          `job ${id} not settled within ${timeout} ms (status ${JOB_STATUS_NAMES[status]})`,
        );
      await sleep(Math.min(interval, left));
    }
  }
}

/** How results were verified on chain, and the wait for a verified result. */
export class VeritasVerification<Receipt> {
  private readonly reader: VeritasReader<Receipt>;
  constructor(readonly connection: VeritasConnection<Receipt>) {
    this.reader = new VeritasReader(connection);
  }

  /**
   * Finalizes an optimistic job whose proposal's challenge window has passed unchallenged (anyone may): the job
   * settles with the proposed output. `NO_PROPOSAL` if the job has no proposal.
   */
  finalize(jobId: BigNumberish): Promise<Receipt> {
    return this.connection.finalize(BigInt(jobId));
  }

  /**
   * `waitForResult` plus how the result was verified (`verification`: the enclave key and its attestation, the ZK
   * verifier and proof transaction, or the optimistic proposal and its finalization) and the request and settlement
   * times.
   */
  async waitForVerifiedResult(jobId: BigNumberish, options: WaitOptions = {}): Promise<VerifiedResult> {
    const result = await this.reader.waitForResult(jobId, options);
    const c = this.connection;
    const { job, blockNumber } = await c.requested(result.jobId);
    const [requestedAt, settledAt] = await Promise.all([
      c.transport.blockTimestamp(blockNumber),
      c.transport.blockTimestamp(result.blockNumber),
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

  /**
   * How a settled job's result was verified (see `Verification`), from its settling transaction and events. Events are
   * searched from the job's request block (an enclave key's registration backwards from the settling block). A TEE
   * result's EIP-712 digest (one result, or a whole `submitBatch`) is computed here, under the TEE verifier's domain
   * (src/tee.ts `resultDigest`, `batchDigest`): a batch of any size costs the same few calls.
   */
  async verificationOf(result: InferenceResult): Promise<Verification> {
    const c = this.connection;
    const { job, blockNumber } = await c.requested(result.jobId);
    const mode = Number(job.mode);
    const { escrow } = c.addresses;
    if (mode === Mode.OPTIMISTIC) {
      const proposed = (await c.jobEvents("ResultProposed", result.jobId, blockNumber)).at(-1);
      const disputed = await c.jobEvents("JobDisputed", result.jobId, blockNumber);
      let byProof = false;
      if (disputed.length > 0) {
        const disputes = await c.escrowCall<string>("disputeManager");
        const [resolved] = await c.transport.events({
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
      const registry = await c.address("registry");
      const version = await c.call<{ zkVerifier: string }>("ModelRegistry", registry, "getVersion", job.versionId);
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
    const tx = await c.transport.transactionInput(result.transactionHash);
    const call = tx && tx.to?.toLowerCase() === escrow.toLowerCase() ? parseEscrowCall(tx.data) : null;
    if (!call || (call.name !== "submitResult" && call.name !== "submitBatch")) return tee;
    const domain = teeResultDomain(c.chainId, await c.address("teeVerifier"));
    let digest: string;
    if (call.name === "submitResult") {
      digest = resultDigest(domain, escrow, job, keccak256(call.args.output as string));
    } else {
      const jobs = (call.args.jobs as Readonly<Record<string, unknown>>[]).map((j) => toJob(j));
      const outputs = call.args.outputs as string[];
      tee.batchSize = jobs.length;
      digest = batchDigest(
        domain,
        jobs.map((j, i) => resultStructHash(escrow, j, keccak256(outputs[i]))),
      );
    }
    try {
      tee.enclaveKey = recoverAddress(digest, call.args.proof as string);
    } catch {
      return tee;
    }
    const teeRegistry = await c.address("tee");
    const key = await c.call<{ measurement: string }>("TeeRegistry", teeRegistry, "getEnclaveKey", tee.enclaveKey);
    tee.measurement = key.measurement;
    // The key's registration before the settlement, searched backwards from the settling block (bounded ranges).
    const registered = await c.lastEvent(
      {
        key: "TeeRegistry",
        address: teeRegistry,
        event: "EnclaveKeyRegistered",
        args: { node: result.node, enclaveKey: tee.enclaveKey },
      },
      result.blockNumber,
    );
    tee.attestationTx = registered?.transactionHash ?? null;
    return tee;
  }
}

/** A requester: its escrow balance, its requests and their cancels and expiries. */
export class VeritasRequester<Receipt> {
  private readonly verification: VeritasVerification<Receipt>;
  constructor(readonly connection: VeritasConnection<Receipt>) {
    this.verification = new VeritasVerification(connection);
  }

  /** Deposits `amount` into `account`'s escrow balance (default: the signer's), approving the escrow if needed. */
  async deposit(amount: BigNumberish, options: { account?: string } = {}): Promise<Receipt> {
    const c = this.connection;
    const owner = await c.account();
    await c.ensureAllowance(await c.address("paymentToken"), owner, c.addresses.escrow, BigInt(amount));
    return c.escrowWrite("deposit", options.account ?? owner, BigInt(amount));
  }

  /** Withdraws from the signer's escrow balance (default: all of it) to `to` (default: the signer). */
  async withdraw(amount?: BigNumberish, to?: string): Promise<Receipt> {
    const c = this.connection;
    const owner = await c.account();
    const value = amount === undefined ? BigInt(await c.escrowCall<bigint>("balanceOf", owner)) : BigInt(amount);
    return c.escrowWrite("withdraw", value, to ?? owner);
  }

  /** Requests an inference, paid from the prepaid balance (default) or with a transfer. */
  async requestInference(params: RequestInferenceParams, options: RequestOptions = {}): Promise<RequestedJob> {
    const c = this.connection;
    const owner = await c.account();
    const request = await requestStructOf(params, () => c.transport.blockTimestamp("latest"));
    const pay = options.pay ?? "balance";
    if (pay === "transfer" && options.approve !== false)
      await c.ensureAllowance(await c.address("paymentToken"), owner, c.addresses.escrow, request.payment);
    const receipt = c.transport.receiptInfo(
      await c.escrowWrite(pay === "transfer" ? "requestInferenceWithTransfer" : "requestInference", request),
    );
    const escrow = { interface: clientInterface("InferenceEscrow"), target: c.addresses.escrow };
    const [requested] = requestedJobs(escrow, receipt.logs);
    if (!requested)
      throw new VeritasError("MISSING_EVENT", `requestInference: no JobRequested event in transaction ${receipt.hash}`);
    const { jobId, job } = requested;
    c.remember(jobId, { job, inputURI: requested.inputURI, blockNumber: receipt.blockNumber });
    return { ...requested, transactionHash: receipt.hash, blockNumber: receipt.blockNumber };
  }

  /**
   * Asks to cancel an open job of the signer. The job stays open (nodes may still serve it, and a result is paid) for
   * the escrow's cancel grace period (`CANCEL_GRACE_PERIOD_SECONDS`, 10 minutes); then `cancel` refunds it.
   */
  async requestCancel(jobId: BigNumberish): Promise<Receipt> {
    const c = this.connection;
    return c.escrowWrite("requestCancel", (await c.requested(BigInt(jobId))).job);
  }

  /**
   * Completes the cancel of an open job of the signer after `requestCancel` and its grace period; the payment goes back
   * to its escrow balance.
   */
  async cancel(jobId: BigNumberish): Promise<Receipt> {
    const c = this.connection;
    return c.escrowWrite("cancel", (await c.requested(BigInt(jobId))).job);
  }

  /** Expires an open job past its final deadline (anyone may), refunding the requester's escrow balance. */
  async expire(jobId: BigNumberish): Promise<Receipt> {
    const c = this.connection;
    return c.escrowWrite("expire", (await c.requested(BigInt(jobId))).job);
  }

  /** Requests an inference and waits for its verified result (`requestInference`, then `waitForVerifiedResult`). */
  async requestAndWait(
    params: RequestInferenceParams,
    options: RequestOptions & WaitOptions = {},
  ): Promise<VerifiedResult & { request: RequestedJob }> {
    const request = await this.requestInference(params, options);
    return { ...(await this.verification.waitForVerifiedResult(request.jobId, options)), request };
  }
}

/** What a model owner publishes as a new version (`IModelRegistry.VersionParams`); it never changes once published. */
export type PublishVersionParams = {
  /** Digest of the weights (for ZK models: the circuit's weights commitment). Not zero. */
  weightsDigest: string;
  /** Digest of the input/output schema. */
  ioSchemaDigest: string;
  /** Where the model artefact lives (ipfs://, ar://, a blob id). */
  artifactURI: string;
  /** Royalty per inference, in payment-token units. */
  royalty: BigNumberish;
  /** Minimum collateral a node locks to claim a job of this version, in staking-token units (default 0). */
  minCollateral?: BigNumberish;
  /** The verification modes served (`Mode` values, e.g. `[Mode.TEE, Mode.OPTIMISTIC]`). */
  modes: readonly number[];
  /** The Groth16 verifier of ZK mode (needed with `Mode.ZK`). */
  zkVerifier?: string;
  /** The enclave measurements allowed to serve the version (needed with `Mode.TEE`). */
  teeMeasurements?: readonly string[];
};

/** A published version, read back from the registry. */
export type ModelVersion = {
  versionId: bigint;
  modelId: bigint;
  royalty: bigint;
  minCollateral: bigint;
  /** The verification modes served (`Mode` values), and their bit mask. */
  modes: number[];
  modesMask: number;
  deprecated: boolean;
  weightsDigest: string;
  ioSchemaDigest: string;
  artifactURI: string;
  zkVerifier: string;
  zkVerifierCodehash: string;
  teeMeasurements: string[];
  /** Block timestamp of publication, unix seconds. */
  publishedAt: bigint;
};

/** A model: its owner (the holder of its ERC-721 token) and its versions. */
export type ModelInfo = { modelId: bigint; owner: string; versionIds: bigint[] };

type VersionStruct = {
  terms: {
    modelId: bigint | number;
    royalty: bigint;
    minCollateral: bigint;
    modes: bigint | number;
    deprecated: boolean;
  };
  weightsDigest: string;
  ioSchemaDigest: string;
  zkVerifier: string;
  publishedAt: bigint | number;
  zkVerifierCodehash: string;
  artifactURI: string;
};

/** A model owner: models and their versions in the `ModelRegistry`, and the royalties the escrow accrued for them. */
export class VeritasModelOwner<Receipt> {
  constructor(readonly connection: VeritasConnection<Receipt>) {}

  /** Creates a model (mints its token to the signer, its `owner`), described off chain by `metadataURI`. */
  async createModel(metadataURI: string): Promise<Sent<Receipt, { modelId: bigint; owner: string }>> {
    const receipt = await this.registryWrite("createModel", metadataURI);
    const created = await this.registryEvent(receipt, "ModelCreated", "createModel");
    return { modelId: BigInt(created.args.modelId), owner: getAddress(String(created.args.owner)), ...created.sent };
  }

  /** Publishes a new version of a model the signer owns. */
  async publishVersion(
    modelId: BigNumberish,
    params: PublishVersionParams,
  ): Promise<Sent<Receipt, { versionId: bigint; modelId: bigint }>> {
    const receipt = await this.registryWrite("publishVersion", BigInt(modelId), {
      weightsDigest: params.weightsDigest,
      ioSchemaDigest: params.ioSchemaDigest,
      artifactURI: params.artifactURI,
      royalty: BigInt(params.royalty),
      minCollateral: BigInt(params.minCollateral ?? 0),
      modes: maskOf(params.modes),
      zkVerifier: params.zkVerifier ?? ZERO_ADDRESS,
      teeMeasurements: [...(params.teeMeasurements ?? [])],
    });
    const published = await this.registryEvent(receipt, "VersionPublished", "publishVersion");
    return { versionId: BigInt(published.args.versionId), modelId: BigInt(modelId), ...published.sent };
  }

  /** Deprecates a version of a model the signer owns: no new jobs (running jobs finish). */
  async deprecateVersion(versionId: BigNumberish): Promise<Receipt> {
    return this.registryWrite("deprecateVersion", BigInt(versionId));
  }

  /** A version as published (terms, digests, artefact, verifier, measurements). */
  async getVersion(versionId: BigNumberish): Promise<ModelVersion> {
    const c = this.connection;
    const registry = await c.address("registry");
    const id = BigInt(versionId);
    const [v, measurements] = await Promise.all([
      c.call<VersionStruct>("ModelRegistry", registry, "getVersion", id),
      c.call<readonly string[]>("ModelRegistry", registry, "teeMeasurementsOf", id),
    ]);
    const mask = Number(v.terms.modes);
    return {
      versionId: id,
      modelId: BigInt(v.terms.modelId),
      royalty: BigInt(v.terms.royalty),
      minCollateral: BigInt(v.terms.minCollateral),
      modes: modesOf(mask),
      modesMask: mask,
      deprecated: Boolean(v.terms.deprecated),
      weightsDigest: String(v.weightsDigest),
      ioSchemaDigest: String(v.ioSchemaDigest),
      artifactURI: String(v.artifactURI),
      zkVerifier: String(v.zkVerifier),
      zkVerifierCodehash: String(v.zkVerifierCodehash),
      teeMeasurements: [...measurements].map(String),
      publishedAt: BigInt(v.publishedAt),
    };
  }

  /** A model's owner and versions (reverts `UnknownModel` for a model that does not exist). */
  async getModel(modelId: BigNumberish): Promise<ModelInfo> {
    const c = this.connection;
    const registry = await c.address("registry");
    const id = BigInt(modelId);
    const versionIds = await c.call<readonly (bigint | number)[]>("ModelRegistry", registry, "versionsOf", id);
    const owner = await c.call<string>("ModelRegistry", registry, "modelOwner", id);
    return { modelId: id, owner: getAddress(owner), versionIds: [...versionIds].map((v) => BigInt(v)) };
  }

  /** The royalties a model accrued in the escrow and not yet withdrawn, in payment-token units. */
  async royaltiesOf(modelId: BigNumberish): Promise<bigint> {
    const accrual = await this.connection.escrowCall<{ royalties: bigint }>("accrualOf", BigInt(modelId));
    return BigInt(accrual.royalties);
  }

  /** Withdraws a model's accrued royalties (owner only) to `to` (default: the signer). */
  async withdrawRoyalties(modelId: BigNumberish, to?: string): Promise<Receipt> {
    const c = this.connection;
    return c.escrowWrite("withdrawRoyalties", BigInt(modelId), to ?? (await c.account()));
  }

  private async registryWrite(fn: string, ...args: unknown[]): Promise<Receipt> {
    const c = this.connection;
    return c.write("ModelRegistry", await c.address("registry"), fn, ...args);
  }

  /** The registry's event `name` in a receipt (`MISSING_EVENT` if it is not there). */
  private async registryEvent(receipt: Receipt, name: string, fn: string) {
    const c = this.connection;
    return eventIn(c, receipt, "ModelRegistry", await c.address("registry"), name, fn);
  }
}

/** The event `name` of contract `key` at `address` in a receipt, with the receipt (`MISSING_EVENT` if it is not there). */
function eventIn<Receipt>(
  c: VeritasConnection<Receipt>,
  receipt: Receipt,
  key: "ModelRegistry" | "NodeStaking",
  address: string,
  name: string,
  fn: string,
) {
  const info = c.transport.receiptInfo(receipt);
  const event = eventsOf({ interface: clientInterface(key), target: address }, info.logs).find((e) => e.name === name);
  if (!event) throw new VeritasError("MISSING_EVENT", `${fn}: no ${name} event in transaction ${info.hash}`);
  return { args: event.args, sent: { receipt, transactionHash: info.hash, blockNumber: info.blockNumber } };
}

/** A node as `NodeStaking` and the escrow record it. */
export type NodeInfo = {
  node: string;
  registered: boolean;
  endpoint: string;
  /** The verification modes served (`Mode` values), and their bit mask. */
  modes: number[];
  capabilities: number;
  /** Active stake, and stake requested for withdrawal (still slashable), in staking-token units. */
  staked: bigint;
  thawing: bigint;
  /** When the thawing stake can be withdrawn, unix seconds (0: nothing thawing). */
  thawEnd: bigint;
  /** Registered with at least `minStake` active stake. */
  active: boolean;
  /** Collateral locked by the node's claimed or unresolved jobs (escrow), in staking-token units. */
  lockedCollateral: bigint;
};

type NodeStruct = {
  staked: bigint;
  thawing: bigint;
  thawEnd: bigint | number;
  capabilities: bigint | number;
  registered: boolean;
};

/** A node operator: registration, stake, unstaking and withdrawals in `NodeStaking`, and enclave keys (`TeeRegistry`). */
export class VeritasOperator<Receipt> {
  constructor(readonly connection: VeritasConnection<Receipt>) {}

  /** Registers the signer as a node serving `modes` (`Mode` values), reachable at `endpoint`. */
  registerNode(endpoint: string, modes: readonly number[]): Promise<Receipt> {
    return this.stakingWrite("registerNode", endpoint, maskOf(modes));
  }

  /** Updates the signer's endpoint and modes (claimed jobs are not affected). */
  updateNode(endpoint: string, modes: readonly number[]): Promise<Receipt> {
    return this.stakingWrite("updateNode", endpoint, maskOf(modes));
  }

  /**
   * Stakes `amount` staking tokens for `node` (default: the signer; anyone may top up a registered node), approving
   * the staking contract first if the allowance is short.
   */
  async stake(amount: BigNumberish, options: { node?: string } = {}): Promise<Receipt> {
    const c = this.connection;
    const owner = await c.account();
    const staking = await c.address("staking");
    await c.ensureAllowance(await c.address("stakingToken"), owner, staking, BigInt(amount));
    return c.write("NodeStaking", staking, "stake", options.node ?? owner, BigInt(amount));
  }

  /** Moves `amount` of the signer's active stake to thawing (withdrawable after the unbonding period). */
  requestUnstake(amount: BigNumberish): Promise<Receipt> {
    return this.stakingWrite("requestUnstake", BigInt(amount));
  }

  /** Withdraws the signer's thawed stake to `to` (default: the signer): the `amount` paid out (`StakeWithdrawn`). */
  async withdrawStake(to?: string): Promise<Sent<Receipt, { amount: bigint; to: string }>> {
    const c = this.connection;
    const staking = await c.address("staking");
    const receiver = to ?? (await c.account());
    const receipt = await c.write("NodeStaking", staking, "withdrawStake", receiver);
    const withdrawn = eventIn(c, receipt, "NodeStaking", staking, "StakeWithdrawn", "withdrawStake");
    return { amount: BigInt(withdrawn.args.amount), to: getAddress(String(withdrawn.args.to)), ...withdrawn.sent };
  }

  /** Withdraws the signer's slash rewards (staking token) to `to` (default: the signer). */
  async claimRewards(to?: string): Promise<Receipt> {
    return this.stakingWrite("claimRewards", to ?? (await this.connection.account()));
  }

  /**
   * Registers (or re-attests) an enclave key for the signer's node: the key's address, the approved measurement it
   * runs, its expiry and the attestation the TEE registry's verifier checks.
   */
  async registerEnclaveKey(
    enclaveKey: string,
    measurement: string,
    expiresAt: BigNumberish,
    attestation: string,
  ): Promise<Receipt> {
    const c = this.connection;
    const tee = await c.address("tee");
    return c.write("TeeRegistry", tee, "registerEnclaveKey", enclaveKey, measurement, BigInt(expiresAt), attestation);
  }

  /**
   * Whether `enclaveKey` is an active key of `node` (default: the signer): registered for it, not revoked, unexpired,
   * and its measurement still approved (`TeeRegistry.isActiveKey`).
   */
  async isActiveEnclaveKey(enclaveKey: string, node?: string): Promise<boolean> {
    const c = this.connection;
    const owner = node ?? (await c.account());
    return Boolean(await c.call<boolean>("TeeRegistry", await c.address("tee"), "isActiveKey", enclaveKey, owner));
  }

  /** The staking token's address (`NodeStaking.stakingToken`). */
  stakingTokenAddress(): Promise<string> {
    return this.connection.address("stakingToken");
  }

  /** A node's registration, stake and locked collateral (default: the signer's). */
  async getNode(node?: string): Promise<NodeInfo> {
    const c = this.connection;
    const address = node ?? (await c.account());
    const staking = await c.address("staking");
    const [n, endpoint, active, locked] = await Promise.all([
      c.call<NodeStruct>("NodeStaking", staking, "getNode", address),
      c.call<string>("NodeStaking", staking, "endpointOf", address),
      c.call<boolean>("NodeStaking", staking, "isActive", address),
      c.escrowCall<bigint>("lockedCollateral", address),
    ]);
    const capabilities = Number(n.capabilities);
    return {
      node: getAddress(address),
      registered: Boolean(n.registered),
      endpoint: String(endpoint),
      modes: modesOf(capabilities),
      capabilities,
      staked: BigInt(n.staked),
      thawing: BigInt(n.thawing),
      thawEnd: BigInt(n.thawEnd),
      active: Boolean(active),
      lockedCollateral: BigInt(locked),
    };
  }

  private async stakingWrite(fn: string, ...args: unknown[]): Promise<Receipt> {
    const c = this.connection;
    return c.write("NodeStaking", await c.address("staking"), fn, ...args);
  }
}

/** An escrow call decoded from calldata, its arguments by name (null if it is not one of the escrow's functions). */
function parseEscrowCall(data: string): { name: string; args: Readonly<Record<string, unknown>> } | null {
  try {
    const parsed = clientInterface("InferenceEscrow").parseTransaction({ data });
    if (!parsed) return null;
    const args = Object.fromEntries(parsed.fragment.inputs.map((p, i) => [p.name, parsed.args[i]]));
    return { name: parsed.name, args };
  } catch {
    return null;
  }
}
