/**
 * The reference Veritas node operator: follows `JobRequested`, skips what it cannot serve, loads the version's model
 * bundle (the configured source, else the version's `artifactURI` through IPFS gateways) and checks it against the
 * registry's digests, fetches the input and checks its digest, runs the bundle's pipeline (onnxruntime-node) and then
 *   - TEE: signs with its enclave key (a SIMULATED enclave: an ordinary key in this process) and submits, many results
 *     under one signature with `submitBatch`;
 *   - ZK: proves with the bundle's Groth16 circuit and submits;
 *   - optimistic: claims, then proposes (a proposal needs the node's claim, so it cannot be copied), and finalizes its own proposals once their window has passed.
 * Every step is recorded in an fsync'd journal before the next one starts, so a killed node restarted on the same
 * journal resumes each job from its last step and never submits one twice.
 */
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Provider, Signer, TransactionReceipt } from "ethers";
import {
  InferenceEscrow__factory,
  ModelRegistry__factory,
  type InferenceEscrow,
  type ModelRegistry,
} from "../../typechain-types/index.js";
import { teeResultDomain, type SimulatedEnclave } from "../tee.js";
import { jobTagOf } from "../zk.js";
import { hexlify } from "ethers";
import { JOB_STATUS_NAMES, JobStatus, Mode } from "../constants.js";
import { parseDeployment, type DeploymentRecord } from "../deployments.js";
import { decodeVeritasError, describeError } from "../errors.js";
import {
  claimIn,
  claimOf,
  NO_CLAIM,
  nodeFeeOf,
  proposalOf,
  skippedJobs,
  toJob,
  type Claim,
  type Job,
  type Proposal,
} from "../jobs.js";
import { EventFollower, errorMessage, type FollowedLog } from "./follower.js";
import { fetchInput, inputDigestOk } from "./inputs.js";
import { ModelHost, type HostedModel } from "./models.js";
import { JobJournal, type EntryFields, type JobRecord, type JobState } from "./journal.js";
import { jsonLogger, type Logger } from "./logger.js";
import { PollLoop } from "./loop.js";

/** A verification mode a node serves. */
export type NodeModeName = "tee" | "zk" | "optimistic";

/** A direct fulfil is not sent when the requester's cancel takes effect within this many seconds (mempool delay). */
const CANCEL_SAFETY_MARGIN_SECONDS = 120n;

const MODE_NAMES: Record<number, NodeModeName> = {
  [Mode.TEE]: "tee",
  [Mode.ZK]: "zk",
  [Mode.OPTIMISTIC]: "optimistic",
};

/** A model version the node serves, and where its bundle comes from. */
export type ServedModel = {
  /** The registry's version id. */
  versionId: bigint | number | string;
  /** The version's model (optional: checked against the job when given). */
  modelId?: bigint | number | string;
  /**
   * The bundle: a directory (relative paths resolve against `baseDir`), a `file://`, `ipfs://` or `http(s)://` URI.
   * Default: the version's `artifactURI`, fetched through `gateways`. Either way it must match the registry's digests.
   */
  bundle?: string;
};

/**
 * Demo and test hooks: they make a node misbehave on purpose. Never set them on a real node.
 * - `wrongOutput`: an optimistic node proposes a wrong label (the watcher should challenge it).
 * - `haltBefore`: the node stops working on each job just before that step (as if killed there), leaving it in its
 *   journal for a restarted node.
 */
export type NodeFaults = {
  wrongOutput?: boolean;
  haltBefore?: "claim" | "compute" | "submit";
};

export type NodeConfig = {
  /** Contract addresses; at least the escrow (the registry is read from it when absent). */
  contracts?: { escrow: string; registry?: string };
  /** Or a deployment record (an object, or the path of a deployments/<chainId>.json file). */
  deployment?: string | DeploymentRecord;
  /** The model versions served. */
  models?: ServedModel[];
  /** Also serve every other version whose bundle (from its artifactURI) verifies and runs here. Default false. */
  anyModel?: boolean;
  /** IPFS gateways (base URLs) for `ipfs://` bundles and inputs, tried in order. */
  gateways?: string[];
  /** The modes served. */
  modes: NodeModeName[];
  /** Smallest node fee (payment − royalty − protocol fee, payment-token units) worth serving. Default 0. */
  minFee?: bigint | number | string;
  /** Blocks a request must be buried under before the node acts on it. Default 0. */
  confirmations?: number;
  /** Poll interval of `start()` in ms. Default 1,000. */
  pollIntervalMs?: number;
  /** Path of the job journal (JSON lines). */
  journalPath: string;
  /** First block to follow when the journal has no cursor yet. Default: the deployment's block, else 0. */
  fromBlock?: number;
  /** Largest `eth_getLogs` range. Default 2,000. */
  maxLogRange?: number;
  /** Most TEE results under one signature. Default 16. */
  teeBatchSize?: number;
  /** Longest a computed TEE result waits for its batch to fill, in ms. Default 2,000 (0: submit every cycle). */
  teeMaxWaitMs?: number;
  /** Claim TEE and ZK jobs before computing (locks collateral) instead of fulfilling them directly. Default false. */
  claimFirst?: boolean;
  /** Skip jobs whose final deadline is closer than this, in seconds. Default 60. */
  minTimeLeftSeconds?: number;
  /** Directory that relative paths (models, local inputs) resolve against. Default: the working directory. */
  baseDir?: string;
  /** Demo/test hooks only. */
  faults?: NodeFaults;
};

export type NodeDeps = {
  signer: Signer;
  provider: Provider;
  /** The enclave signing TEE results (required for the `tee` mode). */
  enclave?: SimulatedEnclave;
  logger?: Logger;
};

/** What happened to a job, emitted as `"job"` and logged as one line. */
export type JobSummary = {
  jobId: bigint;
  mode: NodeModeName | "unknown";
  status: "settled" | "proposed" | "skipped" | "disputed" | "refunded" | "failed";
  /** The node (this operator's address). */
  node: string;
  versionId?: bigint;
  /** Why (skipped / failed). */
  reason?: string;
  /** The transaction that settled (or proposed) it. */
  txHash?: string;
  /** Gas of that transaction (for a batch: the whole batch's, see `batchSize`). */
  gasUsed?: bigint;
  /** How many jobs that transaction settled. */
  batchSize?: number;
  /** Block timestamp of the request. */
  requestedAt?: number;
  /** Block timestamp of the settlement (or proposal). */
  settledAt?: number;
  /** The output bytes (hex; their layout is the version's output schema, e.g. canonical JSON or abi.encode(int256[])). */
  output?: string;
};

/** What the node journals about a job (the `F` of its `JobJournal`): the request, then each step's results. */
export type NodeJobData = {
  job: Job;
  inputURI: string;
  requestedBlock: number;
  requestedAt: number;
  claim?: Claim;
  output?: string;
  proof?: string;
  proposal?: Proposal;
  /** The last transaction sent for the job (null: none pending, send again). */
  txHash?: string | null;
  /** The call that transaction made (`submitResult`, `submitBatch`, `proposeResult`). */
  via?: string;
};

/** The node's job journal. */
export type NodeJournal = JobJournal<JobState, NodeJobData>;

/** A job's journaled data, with the request its `seen` entry recorded (every job of the node's journal has one). */
function dataOf(rec: JobRecord<JobState, NodeJobData> | undefined): NodeJobData {
  const d = rec?.data;
  if (!d || !hasRequest(d)) throw new Error(`job ${rec?.jobId}: the journal has no request (no "seen" entry)`);
  return d;
}

function hasRequest(d: EntryFields<NodeJobData>): d is EntryFields<NodeJobData> & NodeJobData {
  return (
    d.job !== undefined && d.inputURI !== undefined && d.requestedBlock !== undefined && d.requestedAt !== undefined
  );
}

type Resolved = {
  escrow: InferenceEscrow;
  registry: ModelRegistry;
  escrowAddress: string;
  me: string;
  chainId: bigint;
  follower: EventFollower;
  teeDomain?: ReturnType<typeof teeResultDomain>;
};

/** Thrown inside a step to stop working on a job for now (retried next cycle). */
class Retry extends Error {}

/** The reference node operator. See the module comment and docs/operating-a-node.md. */
export class VeritasNode extends EventEmitter {
  readonly journal: NodeJournal;
  private readonly logger: Logger;
  private readonly models = new Map<bigint, ServedModel>();
  private host?: ModelHost;
  private readonly modes: Set<number>;
  private readonly minFee: bigint;
  private readonly batchSize: number;
  private readonly maxWaitMs: number;
  private readonly minTimeLeft: bigint;
  private readonly baseDir: string;
  private r?: Resolved;
  private initializing?: Promise<Resolved>;
  private readonly batch = new Map<bigint, { job: Job; claim: Claim; output: string; since: number }>();
  private readonly halted = new Set<bigint>();
  private readonly attempts = new Map<bigint, number>();
  private readonly measurementAllowed = new Map<bigint, boolean>();
  private cycle: JobSummary[] = [];
  private readonly loop = new PollLoop(
    () => this.runOnce(),
    () =>
      this.r && this.r.follower.consecutiveFailures > 0
        ? this.r.follower.nextDelayMs
        : (this.config.pollIntervalMs ?? 1_000),
    (e) => this.logger.error("cycle failed", { error: errorMessage(e) }),
  );
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    readonly config: NodeConfig,
    private readonly deps: NodeDeps,
  ) {
    super();
    this.logger = deps.logger ?? jsonLogger("info");
    this.baseDir = config.baseDir ?? process.cwd();
    this.modes = new Set(
      config.modes.map((m) => {
        const v = { tee: Mode.TEE, zk: Mode.ZK, optimistic: Mode.OPTIMISTIC }[m];
        if (v === undefined) throw new Error(`unknown mode ${m} (tee, zk or optimistic)`);
        return v;
      }),
    );
    if (this.modes.has(Mode.TEE) && !deps.enclave) throw new Error("the tee mode needs an enclave");
    for (const m of config.models ?? []) this.models.set(BigInt(m.versionId), m);
    if (this.models.size === 0 && !config.anyModel) throw new Error("NodeConfig: give models, or anyModel: true");
    this.minFee = BigInt(config.minFee ?? 0);
    this.batchSize = Math.max(1, config.teeBatchSize ?? 16);
    this.maxWaitMs = config.teeMaxWaitMs ?? 2_000;
    this.minTimeLeft = BigInt(config.minTimeLeftSeconds ?? 60);
    this.journal = JobJournal.open<JobState, NodeJobData>(path.resolve(this.baseDir, config.journalPath));
    if (config.faults && Object.keys(config.faults).length > 0) {
      this.logger.warn("FAULTS ENABLED: this node misbehaves on purpose (demo/test hook)", { faults: config.faults });
    }
  }

  /** This node's address (after `start()` or `runOnce()`). */
  get address(): string | undefined {
    return this.r?.me;
  }

  /** Starts following and serving jobs every `pollIntervalMs` until `stop()`. */
  async start(): Promise<void> {
    await this.init();
    this.loop.start();
  }

  /** Stops the loop, submits any TEE results still waiting for their batch, and closes the journal. */
  async stop(): Promise<void> {
    await this.loop.stop();
    if (this.r) {
      try {
        await this.exclusive(() => this.flushBatch(true));
      } catch (e) {
        this.logger.error("final batch failed; it stays in the journal", { error: errorMessage(e) });
      }
    }
    await this.host?.release();
    this.journal.close();
  }

  /** One cycle: read confirmed requests, advance every unfinished job, submit due TEE batches, finalize due proposals. */
  async runOnce(): Promise<JobSummary[]> {
    return this.exclusive(async () => {
      const r = await this.init();
      this.cycle = [];
      await r.follower.poll();
      this.journal.setCursor(r.follower.cursor);
      for (const rec of this.journal.pending()) {
        if (this.halted.has(rec.jobId) || rec.state === "proposed" || rec.state === "disputed") continue;
        await this.guard(rec.jobId, () => this.advance(rec));
      }
      await this.flushBatch(false);
      await this.settleProposals();
      return this.cycle;
    });
  }

  /** Withdraws the node's whole escrow balance (its earned fees) to `to` (default: itself). */
  async withdrawEarnings(to?: string): Promise<{ amount: bigint; txHash?: string }> {
    const r = await this.init();
    const amount = await r.escrow.balanceOf(r.me);
    if (amount === 0n) return { amount };
    const receipt = (await (await r.escrow.withdraw(amount, to ?? r.me)).wait())!;
    this.logger.info("earnings withdrawn", { amount, to: to ?? r.me, txHash: receipt.hash });
    return { amount, txHash: receipt.hash };
  }

  // ------------------------------------------------------------------ setup

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.busy.then(fn, fn);
    this.busy = next.catch(() => undefined);
    return next;
  }

  private init(): Promise<Resolved> {
    if (this.r) return Promise.resolve(this.r);
    // A failed start-up (RPC down) is tried again on the next call.
    this.initializing ??= this.resolve().then(
      (r) => (this.r = r),
      (e: unknown) => {
        this.initializing = undefined;
        throw e;
      },
    );
    return this.initializing;
  }

  private async resolve(): Promise<Resolved> {
    const { signer, provider, enclave } = this.deps;
    let record: DeploymentRecord | undefined;
    if (this.config.deployment !== undefined) {
      record =
        typeof this.config.deployment === "string"
          ? parseDeployment(readFileSync(path.resolve(this.baseDir, this.config.deployment), "utf8"))
          : parseDeployment(this.config.deployment);
    }
    const escrowAddress = this.config.contracts?.escrow ?? record?.contracts.escrow;
    if (!escrowAddress) throw new Error("NodeConfig: give contracts.escrow or a deployment");
    const escrow = InferenceEscrow__factory.connect(escrowAddress, signer);
    const registryAddress = this.config.contracts?.registry ?? record?.contracts.registry ?? (await escrow.registry());
    const registry = ModelRegistry__factory.connect(registryAddress, provider);
    const sources = new Map<bigint, string>();
    for (const [v, m] of this.models) if (m.bundle !== undefined) sources.set(v, m.bundle);
    this.host = new ModelHost(
      { getVersion: (v) => registry.getVersion(v) },
      {
        sources,
        onlyConfigured: false,
        gateways: this.config.gateways,
        baseDir: this.baseDir,
      },
    );
    const me = await signer.getAddress();
    const chainId = (await provider.getNetwork()).chainId;
    let teeDomain: Resolved["teeDomain"];
    if (this.modes.has(Mode.TEE)) {
      teeDomain = teeResultDomain(chainId, await escrow.verifierOf(Mode.TEE));
      this.logger.warn(
        "the enclave is SIMULATED: an ordinary key in this process signs TEE results; it gives no hardware guarantee",
        { enclaveKey: enclave!.address, measurement: enclave!.measurement },
      );
    }
    const fromBlock = this.journal.cursor ?? this.config.fromBlock ?? record?.deployedAtBlock ?? 0;
    const follower = new EventFollower(
      provider,
      [{ address: escrowAddress, iface: escrow.interface, events: ["JobRequested"] }],
      (l) => this.onRequested(l),
      {
        fromBlock,
        confirmations: this.config.confirmations ?? 0,
        maxRange: this.config.maxLogRange,
        pollIntervalMs: this.config.pollIntervalMs,
        logger: this.logger,
      },
    );
    this.logger.info("node started", {
      node: me,
      chainId,
      escrow: escrowAddress,
      modes: this.config.modes,
      versions: [...this.models.keys()],
      fromBlock,
      confirmations: this.config.confirmations ?? 0,
      journal: this.journal.file,
      resumedJobs: this.journal.pending().length,
    });
    return { escrow, registry, escrowAddress, me, chainId, follower, teeDomain };
  }

  private async onRequested(l: FollowedLog): Promise<void> {
    const jobId = BigInt(l.event.args.jobId);
    if (this.journal.get(jobId)) return;
    const block = await this.deps.provider.getBlock(l.blockNumber);
    this.journal.record(jobId, "seen", {
      job: toJob(l.event.args.job),
      inputURI: String(l.event.args.inputURI),
      requestedBlock: l.blockNumber,
      requestedAt: block?.timestamp ?? 0,
    });
  }

  // ------------------------------------------------------------------ the job state machine

  private async guard(jobId: bigint, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (e) {
      if (e instanceof Retry) return;
      // A revert is counted three times before the job is given up; anything else (RPC trouble) ten times.
      const revert = decodeVeritasError(e) !== undefined || (e as { code?: string }).code === "CALL_EXCEPTION";
      const n = (this.attempts.get(jobId) ?? 0) + (revert ? 10 : 3);
      this.attempts.set(jobId, n);
      const reason = describeError(e);
      if (n >= 30) {
        this.finish(jobId, "failed", { reason: `gave up: ${reason}` });
      } else {
        this.logger.warn("job step failed; retrying next cycle", { jobId, attempt: n, error: reason });
      }
    }
  }

  private async advance(rec: JobRecord<JobState, NodeJobData>): Promise<void> {
    const d = dataOf(rec);
    const jobId = rec.jobId;
    switch (rec.state) {
      case "seen": {
        const why = await this.cannotServe(jobId, d);
        if (why) return this.skip(jobId, why);
        // The bundle is fetched and checked against the registry before claiming: nothing is locked for a job the
        // node would refuse to run.
        const model = await this.modelFor(jobId, d);
        if (!model) return;
        const input = await this.loadInput(jobId, d, model);
        if (!input) return;
        const status = await this.status(jobId);
        if (status === JobStatus.Claimed) {
          // Claimed by us before a crash that lost the journal line? Recover the claim from the chain.
          const claim = await this.claimFromChain(jobId);
          if (!claim || claim.node.toLowerCase() !== this.r!.me.toLowerCase())
            return this.skip(jobId, "claimed by another node");
          this.journal.record(jobId, "claimed", { claim });
          return this.advance(this.journal.get(jobId)!);
        }
        if (status !== JobStatus.Open) return this.resolveElsewhere(jobId, status);
        const mode = Number(d.job.mode);
        // Optimistic jobs are always claimed first: the escrow refuses a proposal without a claim, so an output seen
        // in the mempool cannot be copied by another node.
        if (!this.config.claimFirst && mode !== Mode.OPTIMISTIC) return this.compute(jobId, d, input, NO_CLAIM);
        if (this.halt(jobId, "claim")) return;
        const receipt = await this.send("claim", jobId, () => this.r!.escrow.claim(d.job));
        const claim = claimOf(this.r!.escrow, receipt.logs);
        this.journal.record(jobId, "claimed", { claim, txHash: receipt.hash });
        this.logger.info("claimed", { jobId, deliverBy: claim.deliverBy, collateral: d.job.collateral });
        return this.compute(jobId, d, input, claim);
      }
      case "claimed": {
        const model = await this.modelFor(jobId, d);
        if (!model) return;
        const input = await this.loadInput(jobId, d, model);
        if (!input) return;
        return this.compute(jobId, d, input, d.claim!);
      }
      case "computed":
        return this.submit(jobId, d);
      case "submitted":
        return this.checkSubmitted(jobId, d);
      default:
        return;
    }
  }

  /** Runs the model's pipeline (and, for ZK, its prover) and journals the output. */
  private async compute(jobId: bigint, d: NodeJobData, input: Uint8Array, claim: Claim): Promise<void> {
    if (this.halt(jobId, "compute")) return;
    const model = await this.modelFor(jobId, d);
    if (!model) return;
    const t0 = Date.now();
    const mode = Number(d.job.mode);
    let output: Uint8Array;
    let proof: string | undefined;
    if (mode === Mode.ZK) {
      if (!ModelHost.canProve(model)) return this.skip(jobId, "the bundle has no ZK circuit");
      const tag = jobTagOf(this.r!.chainId, this.r!.escrowAddress, d.job, this.r!.me);
      // snarkjs worker threads: a proof does not block the event loop (RPC keep-alive, other jobs)
      const p = await model.runner.prove(input, tag, { singleThread: false });
      const plain = await model.runner.run(input);
      if (hexlify(p.output) !== hexlify(plain)) throw new Error("the proof's output differs from onnxruntime's");
      output = p.output;
      proof = hexlify(p.proof);
    } else {
      output = await model.runner.run(input);
    }
    if (this.config.faults?.wrongOutput && mode === Mode.OPTIMISTIC) {
      const right = output;
      output = model.pipeline.tamper(output, model.manifest);
      this.logger.warn("FAULT: proposing a wrong output on purpose", {
        jobId,
        trueOutput: hexlify(right),
        output: hexlify(output),
      });
    }
    this.journal.record(jobId, "computed", { output: hexlify(output), proof, claim });
    this.logger.info("computed", {
      jobId,
      pipeline: model.manifest.pipeline,
      bytes: output.length,
      ms: Date.now() - t0,
    });
    return this.submit(jobId, dataOf(this.journal.get(jobId)));
  }

  /** Why the node does not serve a newly seen job, or undefined if it does. */
  private async cannotServe(jobId: bigint, d: NodeJobData): Promise<string | undefined> {
    const r = this.r!;
    const job = d.job;
    const mode = Number(job.mode);
    if (job.node !== NO_CLAIM.node && job.node.toLowerCase() !== r.me.toLowerCase()) return "reserved for another node";
    if (!this.modes.has(mode)) return `mode ${MODE_NAMES[mode] ?? mode} not served`;
    const model = this.models.get(BigInt(job.versionId));
    if (!model && !this.config.anyModel) return `model version ${job.versionId} not served`;
    if (model?.modelId !== undefined && BigInt(model.modelId) !== BigInt(job.modelId))
      return `version ${job.versionId} belongs to model ${job.modelId}, configured for ${model.modelId}`;
    const fee = nodeFeeOf(job);
    if (fee < this.minFee) return `fee below minimum (${fee} < ${this.minFee})`;
    const now = BigInt((await this.deps.provider.getBlock("latest"))!.timestamp);
    if (BigInt(job.expiresAt) - now < this.minTimeLeft)
      return `deadline too close (${BigInt(job.expiresAt) - now} s left)`;
    if (mode === Mode.TEE) {
      const v = BigInt(job.versionId);
      if (!this.measurementAllowed.has(v))
        this.measurementAllowed.set(v, await r.registry.isTeeMeasurementAllowed(v, this.deps.enclave!.measurement));
      if (!this.measurementAllowed.get(v)) return "the enclave's measurement is not allowed for this version";
    }
    return undefined;
  }

  /** The version's model, loaded and checked; undefined after journaling the job skipped (a refused bundle). */
  private async modelFor(jobId: bigint, d: NodeJobData): Promise<HostedModel | undefined> {
    const v = BigInt(d.job.versionId);
    try {
      return await this.host!.get(v);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "FETCH_FAILED") throw e; // a gateway down: retried next cycle
      this.logger.error("model bundle refused: the job is not claimed", {
        jobId,
        versionId: v,
        error: errorMessage(e),
      });
      this.skip(jobId, `model bundle refused: ${errorMessage(e)}`);
      return undefined;
    }
  }

  /** The job's input bytes, or undefined after journaling it skipped. */
  private async loadInput(jobId: bigint, d: NodeJobData, model: HostedModel): Promise<Uint8Array | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await fetchInput(d.inputURI, this.baseDir, this.config.gateways);
    } catch (e) {
      this.skip(jobId, `input unavailable: ${errorMessage(e)}`);
      return undefined;
    }
    if (!inputDigestOk(d.job.inputDigest, bytes, model, Number(d.job.mode))) {
      this.skip(jobId, "input digest mismatch");
      return undefined;
    }
    return bytes;
  }

  private async submit(jobId: bigint, d: NodeJobData): Promise<void> {
    if (this.halt(jobId, "submit")) return;
    const claim = d.claim ?? NO_CLAIM;
    // The chain decides: a job settled by our earlier (unjournaled) submission, or taken by another node.
    const status = await this.status(jobId);
    const expected = claim.node === NO_CLAIM.node ? JobStatus.Open : JobStatus.Claimed;
    if (status !== expected) {
      if (status === JobStatus.Open) return this.skip(jobId, "our claim was lost (delivery deadline missed)");
      return this.resolveElsewhere(jobId, status);
    }
    if (claim.node === NO_CLAIM.node && (await this.cancelImminent(jobId))) {
      return this.skip(jobId, "the requester's cancel takes effect before a direct fulfil would be mined");
    }
    const mode = Number(d.job.mode);
    if (mode === Mode.TEE) {
      if (!this.batch.has(jobId)) this.batch.set(jobId, { job: d.job, claim, output: d.output!, since: Date.now() });
      return;
    }
    if (mode === Mode.ZK) {
      const receipt = await this.send("submitResult", jobId, () =>
        this.r!.escrow.submitResult(d.job, claim, d.output!, d.proof!),
      );
      return this.settled([jobId], receipt);
    }
    const receipt = await this.send("proposeResult", jobId, () =>
      this.r!.escrow.proposeResult(d.job, claim, d.output!),
    );
    return this.proposed(jobId, receipt, claim);
  }

  /**
   * Whether the requester asked to cancel and the grace period ends within `CANCEL_SAFETY_MARGIN_SECONDS`: a direct
   * fulfil sent now could then be front-run by the refund. Within the grace period the result is still paid.
   */
  private async cancelImminent(jobId: bigint): Promise<boolean> {
    const at = await this.r!.escrow.cancellableAt(jobId);
    if (at === 0n) return false;
    const now = BigInt((await this.deps.provider.getBlock("latest"))!.timestamp);
    return at <= now + CANCEL_SAFETY_MARGIN_SECONDS;
  }

  /** Journals the proposal a `proposeResult` receipt records. */
  private async proposed(jobId: bigint, receipt: TransactionReceipt, claim: Claim): Promise<void> {
    const { outputHash, challengeEnds } = proposalOf(this.r!.escrow, receipt.logs);
    const proposal: Proposal = { outputHash, challengeEnds };
    const finalClaim = claimIn(this.r!.escrow, receipt.logs) ?? claim;
    this.journal.record(jobId, "proposed", { claim: finalClaim, proposal, txHash: receipt.hash });
    await this.summarize(jobId, "proposed", { receipt, batchSize: 1 });
  }

  /** Sends the due TEE results: batches of up to `teeBatchSize` under one enclave signature. */
  private async flushBatch(force: boolean): Promise<void> {
    while (this.batch.size > 0) {
      const entries = [...this.batch.entries()];
      const oldest = Math.min(...entries.map(([, e]) => e.since));
      if (!force && entries.length < this.batchSize && Date.now() - oldest < this.maxWaitMs) return;
      const chunk = entries.slice(0, this.batchSize);
      for (const [id] of chunk) this.batch.delete(id);
      const ids = chunk.map(([id]) => id);
      const r = this.r!;
      const enclave = this.deps.enclave!;
      try {
        let receipt: TransactionReceipt;
        if (chunk.length === 1) {
          const [[id, e]] = chunk;
          const sig = await enclave.signResult(r.teeDomain!, r.escrowAddress, e.job, e.output);
          receipt = await this.send(
            "submitResult",
            id,
            () => r.escrow.submitResult(e.job, e.claim, e.output, sig),
            ids,
          );
        } else {
          const jobs = chunk.map(([, e]) => e.job);
          const outputs = chunk.map(([, e]) => e.output);
          const sig = await enclave.signBatch(r.teeDomain!, r.escrowAddress, jobs, outputs);
          receipt = await this.send(
            "submitBatch",
            ids[0],
            () =>
              r.escrow.submitBatch(
                jobs,
                chunk.map(([, e]) => e.claim),
                outputs,
                sig,
              ),
            ids,
          );
        }
        await this.settled(ids, receipt);
      } catch (e) {
        // One job taken by another node fails the whole batch: the jobs go back through `submit`, which checks each.
        this.logger.warn("TEE batch failed; its jobs are checked one by one next cycle", {
          jobs: ids,
          error: describeError(e),
        });
        for (const id of ids) {
          if (this.journal.stateOf(id) === "submitted") this.journal.record(id, "computed", { txHash: null });
          this.attempts.set(id, (this.attempts.get(id) ?? 0) + 1);
        }
        if (!force) return;
      }
    }
  }

  /** Finalizes this node's proposals whose window has passed, and follows disputed ones to their end. */
  private async settleProposals(): Promise<void> {
    const r = this.r!;
    const waiting = this.journal.jobs().filter((x) => x.state === "proposed" || x.state === "disputed");
    if (waiting.length === 0) return;
    const now = BigInt((await this.deps.provider.getBlock("latest"))!.timestamp);
    const due: { jobId: bigint; d: NodeJobData }[] = [];
    for (const rec of waiting) {
      const d = dataOf(rec);
      if (rec.state === "proposed" && now < BigInt(d.proposal!.challengeEnds)) continue;
      const status = await this.status(rec.jobId);
      if (status === JobStatus.Proposed) due.push({ jobId: rec.jobId, d });
      else if (status === JobStatus.Disputed) {
        if (rec.state !== "disputed") {
          this.journal.record(rec.jobId, "disputed");
          await this.summarize(rec.jobId, "disputed", {});
        }
      } else if (status === JobStatus.Settled) {
        this.finish(rec.jobId, "settled", { reason: "settled by another finalize or a dispute ruling" });
      } else if (status === JobStatus.Refunded) {
        this.finish(rec.jobId, "refunded", { reason: "the dispute went against the proposal (or timed out)" });
      }
    }
    for (let i = 0; i < due.length; i += 20) {
      const chunk = due.slice(i, i + 20);
      const ids = chunk.map((c) => c.jobId);
      try {
        const receipt = await this.send(
          "finalizeBatch",
          ids[0],
          () =>
            r.escrow.finalizeBatch(
              chunk.map((c) => c.d.job),
              chunk.map((c) => c.d.claim!),
              chunk.map((c) => c.d.proposal!),
              chunk.map((c) => c.d.output!),
            ),
          ids,
        );
        await this.settled(ids, receipt);
      } catch (e) {
        this.logger.warn("finalize failed; retrying next cycle", { jobs: ids, error: describeError(e) });
      }
    }
  }

  /** A job journaled `submitted` (its transaction sent) before a restart: settled, or to be sent again. */
  private async checkSubmitted(jobId: bigint, d: NodeJobData): Promise<void> {
    const receipt = d.txHash ? await this.deps.provider.getTransactionReceipt(d.txHash) : null;
    if (receipt && receipt.status === 1) {
      if (Number(d.job.mode) === Mode.OPTIMISTIC) return this.proposed(jobId, receipt, d.claim ?? NO_CLAIM);
      return this.settled([jobId], receipt);
    }
    if (!receipt && d.txHash && (await this.deps.provider.getTransaction(d.txHash))) throw new Retry("still pending");
    this.journal.record(jobId, "computed", { txHash: null });
    return this.submit(jobId, dataOf(this.journal.get(jobId)));
  }

  // ------------------------------------------------------------------ helpers

  private halt(jobId: bigint, step: NonNullable<NodeFaults["haltBefore"]>): boolean {
    if (this.config.faults?.haltBefore !== step) return false;
    this.halted.add(jobId);
    this.logger.warn(`FAULT: halting before ${step} (test hook)`, { jobId });
    return true;
  }

  /** Sends a transaction, journaling `submitted` with its hash for settling ones, and waits for its receipt. */
  private async send(
    what: string,
    jobId: bigint,
    tx: () => Promise<{ hash: string; wait: () => Promise<TransactionReceipt | null> }>,
    jobIds: bigint[] = [jobId],
  ): Promise<TransactionReceipt> {
    let sent: Awaited<ReturnType<typeof tx>> | undefined;
    for (let attempt = 1; !sent; attempt++) {
      try {
        sent = await tx();
      } catch (e) {
        // A provider that cached the pending nonce (ethers' 250 ms request cache): wait it out and send again.
        if ((e as { code?: string }).code !== "NONCE_EXPIRED" || attempt >= 3) throw e;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    if (what !== "claim" && what !== "finalizeBatch") {
      for (const id of jobIds) this.journal.record(id, "submitted", { txHash: sent.hash, via: what });
    }
    const receipt = await sent.wait();
    if (!receipt || receipt.status !== 1) throw new Error(`${what} reverted (${sent.hash})`);
    return receipt;
  }

  private async claimFromChain(jobId: bigint): Promise<Claim | undefined> {
    const r = this.r!;
    const rec = dataOf(this.journal.get(jobId));
    const logs = await r.escrow.queryFilter(r.escrow.filters.JobClaimed(jobId), rec.requestedBlock);
    const last = logs[logs.length - 1];
    return last ? { node: last.args.node, deliverBy: last.args.deliverBy } : undefined;
  }

  private async status(jobId: bigint): Promise<number> {
    return Number(await this.r!.escrow.jobStatus(jobId));
  }

  /** A job that left the status this node expected: settled by us (an earlier submission) or by another node. */
  private async resolveElsewhere(jobId: bigint, status: number): Promise<void> {
    if (status === JobStatus.Settled) {
      const r = this.r!;
      const d = dataOf(this.journal.get(jobId));
      const logs = await r.escrow.queryFilter(r.escrow.filters.JobSettled(jobId), d.requestedBlock);
      const mine = logs.find((l) => l.args.node.toLowerCase() === r.me.toLowerCase());
      if (mine) {
        const receipt = (await this.deps.provider.getTransactionReceipt(mine.transactionHash))!;
        return this.settled([jobId], receipt);
      }
      return this.skip(jobId, "settled by another node");
    }
    if (status === JobStatus.Claimed || status === JobStatus.Proposed) return this.skip(jobId, "taken by another node");
    return this.skip(jobId, `job ${JOB_STATUS_NAMES[status] ?? status}`);
  }

  private async settled(ids: bigint[], receipt: TransactionReceipt): Promise<void> {
    const block = await this.deps.provider.getBlock(receipt.blockNumber);
    // A batch leaves out (ResultSkipped) a job another transaction moved first: not ours to journal as settled.
    const skipped = skippedJobs(this.r!.escrow, receipt.logs);
    for (const id of ids) {
      const status = skipped.get(id);
      if (status !== undefined) {
        this.skip(id, `left out of the batch: the job was ${JOB_STATUS_NAMES[status] ?? status} when it was mined`);
        continue;
      }
      this.journal.record(id, "settled", { txHash: receipt.hash });
      await this.summarize(id, "settled", { receipt, batchSize: ids.length, settledAt: block?.timestamp });
    }
  }

  private skip(jobId: bigint, reason: string): void {
    this.finish(jobId, "skipped", { reason });
  }

  private finish(jobId: bigint, state: "skipped" | "failed" | "settled" | "refunded", fields: { reason?: string }) {
    this.journal.record(jobId, state, fields);
    this.batch.delete(jobId);
    void this.summarize(jobId, state, { reason: fields.reason });
  }

  private async summarize(
    jobId: bigint,
    status: JobSummary["status"],
    o: { receipt?: TransactionReceipt; batchSize?: number; settledAt?: number; reason?: string },
  ): Promise<void> {
    const d: EntryFields<NodeJobData> = this.journal.get(jobId)?.data ?? {};
    let settledAt = o.settledAt;
    if (o.receipt && settledAt === undefined)
      settledAt = (await this.deps.provider.getBlock(o.receipt.blockNumber))?.timestamp;
    const summary: JobSummary = {
      jobId,
      mode: d.job ? (MODE_NAMES[Number(d.job.mode)] ?? "unknown") : "unknown",
      status,
      node: this.r?.me ?? "",
      versionId: d.job ? BigInt(d.job.versionId) : undefined,
      reason: o.reason,
      txHash: o.receipt?.hash,
      gasUsed: o.receipt?.gasUsed,
      batchSize: o.batchSize,
      requestedAt: d.requestedAt,
      settledAt,
      output: status === "skipped" ? undefined : d.output,
    };
    this.cycle.push(summary);
    this.logger.info("job", { ...summary, jobId: "0x" + jobId.toString(16) });
    this.emit("job", summary);
  }
}
