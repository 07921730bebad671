/**
 * The watcher (challenger) role of `veritas-node`: follows `ResultProposed` events, re-executes each proposed
 * optimistic result of a model it can run (the version's bundle, from its artifactURI or a configured source, checked
 * against the registry's digests) with the bundle's pipeline, and when the proposed output is wrong, challenges it
 * with the bond (DisputeManager) and, when the version has a ZK verifier and the bundle a circuit, decides the dispute
 * at once with a Groth16 proof of the true output (`resolveByProof`). Without a verifier (e.g. the OCR model) the
 * dispute goes to the appointed arbitrator; a watcher whose account *is* that arbitrator (`arbitrate: true`) rules on
 * the disputes assigned to it by re-executing the model. It then claims its share of the slash (NodeStaking rewards)
 * and withdraws the returned bond.
 *
 * Everything it has done is journaled (`journalPath`: the operator's `JobJournal`, append-only JSON lines fsync'd per
 * entry, with the follower's cursor; without it, a `JobJournal.memory()`): a restart on the same journal resumes from
 * its cursor and never challenges or resolves a job twice.
 */
import { EventEmitter } from "node:events";
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { keccak256, ZeroAddress, type Signer } from "ethers";
import {
  DisputeManager__factory,
  InferenceEscrow__factory,
  ModelRegistry__factory,
  NodeStaking__factory,
  type DisputeManager,
  type InferenceEscrow,
  type ModelRegistry,
  type NodeStaking,
} from "../../typechain-types/index.js";
import { ERC20_ABI } from "../client.js";
import { Mode } from "../constants.js";
import { eventsOf, toJob, type Claim, type Job, type Proposal } from "../jobs.js";
import { Contract } from "ethers";
import { jobTagOf } from "../zk.js";
import { hexlify } from "ethers";
import { errorMessage, EventFollower, lastLogUpTo, type FollowedLog } from "./follower.js";
import { fetchInput, inputDigestOk } from "./inputs.js";
import { JobJournal, type EntryFields, type JobRecord } from "./journal.js";
import { ModelHost, type HostedModel } from "./models.js";
import { jsonLogger, type Logger } from "./logger.js";
import { PollLoop } from "./loop.js";

export type WatcherConfig = {
  /** The escrow (the registry, staking contract and dispute manager are read from it). */
  escrow: string;
  /** First block to follow (default: the latest block when started without a journal). */
  fromBlock?: number;
  /** Blocks a `ResultProposed` must be buried under before it is acted on (default 0). */
  confirmations?: number;
  /** Polling interval of `start()`, ms (default 1000). */
  pollInterval?: number;
  /** Most blocks per `eth_getLogs` query (default 2000). */
  maxBlockRange?: number;
  /** The on-disk journal, JSON lines (default: in memory only). A journal of the old format (one JSON file) is
   * converted on open, the old file kept beside it as `<journalPath>.v1`. */
  journalPath?: string;
  /** Bundle sources per version id (default: each version's artifactURI through `gateways`). */
  bundles?: Record<string, string>;
  /** IPFS gateways for ipfs:// bundles and inputs. */
  gateways?: string[];
  /** Directory relative paths resolve against. */
  baseDir?: string;
  /** Rule, as the appointed arbitrator, on the disputes assigned to this account (default false). */
  arbitrate?: boolean;
  /** Judge and challenge proposals (default true; an arbitrator-only process sets false). */
  challenge?: boolean;
  /** Resolve a dispute with a ZK proof when the version has a verifier (default true). */
  resolveByProof?: boolean;
  /** Claim slash rewards and withdraw returned bonds after each resolution (default true). */
  collectRewards?: boolean;
};

export type WatcherDeps = { signer: Signer; logger?: Logger };

/**
 * What the watcher did with a proposal. `correct`: the proposal matched the re-execution; `challenged`: a dispute is
 * open; `resolved`: decided (by its proof, or by the arbitrator); `skipped`: the watcher cannot judge it (unknown
 * model, input it cannot fetch, window closed); `arbitrated`: it ruled on the dispute as the arbitrator.
 */
export type WatchedState = "correct" | "challenged" | "resolved" | "skipped" | "arbitrated";

/** States after which the watcher does nothing more for a job: a restart resumes only `challenged` ones. */
export const WATCHER_TERMINAL_STATES: readonly WatchedState[] = ["correct", "resolved", "skipped", "arbitrated"];

/** What the watcher did with one proposal. */
export type WatchedJob = {
  jobId: bigint;
  node: string;
  state: WatchedState;
  reason?: string;
  proposedOutput: string;
  trueOutput?: string;
  challengeTx?: string;
  resolveTx?: string;
  ruling?: "NodeRight" | "NodeWrong";
  /** Whether a ZK proof decided it (else the arbitrator). */
  byProof?: boolean;
  bond?: bigint;
};

/** What the watcher journals about a job: a `WatchedJob` but its id and state (the journal's own). */
export type WatchedFields = Omit<WatchedJob, "jobId" | "state">;

/** The watcher's journal. */
export type WatcherJournal = JobJournal<WatchedState, WatchedFields>;

export class Watcher extends EventEmitter {
  readonly escrow: InferenceEscrow;
  private registry!: ModelRegistry;
  private staking!: NodeStaking;
  private disputes!: DisputeManager;
  private address = "";
  private chainId = 0n;
  private host!: ModelHost;
  /** Its cursor (the next block to read) and what it did with each job. */
  readonly journal: WatcherJournal;
  private readonly logger: Logger;
  private follower!: EventFollower;
  private readonly loop = new PollLoop(
    () => this.runOnce(),
    () => this.follower?.nextDelayMs ?? this.config.pollInterval ?? 1000,
    (e) => this.logger.error("watch cycle failed", { error: errorMessage(e) }),
  );
  /** What the round in progress did (the follower's handler adds to it). */
  private round: WatchedJob[] = [];
  private ready: Promise<void> | undefined;

  constructor(
    readonly config: WatcherConfig,
    readonly deps: WatcherDeps,
  ) {
    super();
    this.escrow = InferenceEscrow__factory.connect(config.escrow, deps.signer);
    this.logger = deps.logger ?? jsonLogger("info", { role: "watcher" });
    this.journal = config.journalPath
      ? openJournal(config.journalPath)
      : JobJournal.memory<WatchedState, WatchedFields>({ terminal: WATCHER_TERMINAL_STATES });
  }

  /** The watcher's account. */
  async account(): Promise<string> {
    await this.init();
    return this.address;
  }

  /** What the watcher has recorded about a job (from its journal). */
  watched(jobId: bigint): WatchedJob | undefined {
    const r = this.journal.get(jobId);
    return r && watchedOf(r);
  }

  /** Follows the chain every `pollInterval` ms until `stop()`. */
  start(): void {
    this.loop.start();
  }

  /** Stops following (waits for the round in progress) and closes the journal. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await this.host?.release();
    this.journal.close();
  }

  /**
   * One round: reads the `ResultProposed` events up to the confirmed head, judges each, challenges and resolves the
   * wrong ones, and finishes disputes a previous run left open. Returns what it did with the proposals it judged.
   */
  async runOnce(): Promise<WatchedJob[]> {
    await this.init();
    const done: WatchedJob[] = [];
    // Disputes a previous run opened but did not resolve (e.g. killed between the two transactions).
    for (const r of this.journal.pending()) done.push(await this.resume(r.jobId));
    // New proposals (and, for an arbitrator, new disputes) up to the confirmed head, in chain order, through the same
    // reorg-safe follower as the operator: bounded ranges, back-off on RPC errors, the cursor journaled per range.
    this.round = done;
    try {
      const { error } = await this.follower.poll();
      if (error !== undefined) throw error;
    } finally {
      this.round = [];
    }
    return done;
  }

  /** Claims slash rewards (staking tokens) and withdraws the escrow balance (returned bonds). */
  async collect(): Promise<{ rewards: bigint; withdrawn: bigint }> {
    await this.init();
    const rewards = await this.staking.rewardsOf(this.address);
    if (rewards > 0n) await (await this.staking.claimRewards(this.address)).wait();
    const balance = await this.escrow.balanceOf(this.address);
    if (balance > 0n) await (await this.escrow.withdraw(balance, this.address)).wait();
    if (rewards > 0n || balance > 0n) {
      this.logger.info("collected", { rewards: rewards.toString(), withdrawn: balance.toString() });
      this.emit("collected", { rewards, withdrawn: balance });
    }
    return { rewards, withdrawn: balance };
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      const signer = this.deps.signer;
      this.address = await signer.getAddress();
      this.chainId = (await signer.provider!.getNetwork()).chainId;
      this.registry = ModelRegistry__factory.connect(await this.escrow.registry(), signer);
      this.staking = NodeStaking__factory.connect(await this.escrow.staking(), signer);
      this.disputes = DisputeManager__factory.connect(await this.escrow.disputeManager(), signer);
      const sources = new Map(Object.entries(this.config.bundles ?? {}).map(([v, s]) => [BigInt(v), s] as const));
      this.host = new ModelHost(
        { getVersion: (v) => this.registry.getVersion(v) },
        { sources, onlyConfigured: false, gateways: this.config.gateways, baseDir: this.config.baseDir },
      );
      const fromBlock = this.journal.cursor ?? this.config.fromBlock ?? (await signer.provider!.getBlockNumber());
      const contracts = [
        ...(this.config.challenge === false
          ? []
          : [{ address: this.config.escrow, iface: this.escrow.interface, events: ["ResultProposed"] }]),
        ...(this.config.arbitrate
          ? [{ address: await this.disputes.getAddress(), iface: this.disputes.interface, events: ["Challenged"] }]
          : []),
      ];
      this.follower = new EventFollower(signer.provider!, contracts, (l) => this.onLog(l), {
        fromBlock,
        confirmations: this.config.confirmations,
        maxRange: this.config.maxBlockRange,
        pollIntervalMs: this.config.pollInterval,
        logger: this.logger,
      });
      // Journaled after each range read: a restart reads no range twice once its logs are handled.
      this.follower.on("cursor", (next: number) => this.journal.setCursor(next));
      this.logger.info("started", {
        account: this.address,
        escrow: this.config.escrow,
        journal: this.journal.file ?? "(in memory)",
        fromBlock,
        arbitrate: this.config.arbitrate ?? false,
      });
    })();
    return this.ready;
  }

  /** One followed log: a proposal to judge, or a dispute to rule on. */
  private async onLog(l: FollowedLog): Promise<void> {
    if (l.name === "ResultProposed") {
      if (this.journal.get(BigInt(l.event.args.jobId))) return;
      this.round.push(await this.judge(l.event.args as unknown as ProposedArgs, l.blockNumber));
    } else if (l.name === "Challenged") {
      const id = BigInt(l.event.args.jobId);
      if (String(l.event.args.arbitrator).toLowerCase() !== this.address.toLowerCase()) return;
      if (this.journal.get(id)?.history.some((e) => e.state === "arbitrated")) return;
      const ruled = await this.arbitrateOne(id, l.blockNumber);
      if (ruled) this.round.push(ruled);
    }
  }

  private async judge(args: ProposedArgs, blockNumber: number): Promise<WatchedJob> {
    const jobId = BigInt(args.jobId);
    const proposal: Proposal = { outputHash: args.outputHash, challengeEnds: BigInt(args.challengeEnds) };
    const base = { node: args.node, proposedOutput: args.output };
    const skip = (reason: string) => this.record(jobId, "skipped", { ...base, reason });
    const found = await this.jobOf(jobId, blockNumber);
    if (!found) return skip("no JobRequested event");
    const { job, inputURI } = found;
    if (Number(job.mode) !== Mode.OPTIMISTIC) return skip("not optimistic");
    const version = await this.registry.getVersion(job.versionId);
    const judged = await this.rerun(job, inputURI);
    if ("skip" in judged) return skip(judged.skip);
    const { model, input, trueOutput } = judged;
    if (keccak256(trueOutput) === proposal.outputHash) {
      this.logger.info("checked", { jobId: jobId.toString(), node: base.node, correct: true });
      return this.record(jobId, "correct", { ...base, trueOutput });
    }
    this.logger.info("wrong-result", {
      jobId: jobId.toString(),
      node: base.node,
      proposed: base.proposedOutput,
      trueOutput,
    });
    const latest = await this.escrow.runner!.provider!.getBlock("latest");
    if (latest && BigInt(latest.timestamp) >= proposal.challengeEnds)
      return skip("challenge window closed before the watcher saw it");
    const claim = await this.claimOf(jobId, blockNumber);
    const bond = await this.bondFor(job);
    const token = new Contract(await this.disputes.paymentToken(), ERC20_ABI, this.deps.signer);
    const disputesAddress = await this.disputes.getAddress();
    if (((await token.allowance(this.address, disputesAddress)) as bigint) < bond)
      await (await token.approve(disputesAddress, bond)).wait();
    const challenged = await (await this.disputes.challenge(job, claim, proposal)).wait();
    this.logger.info("challenged", {
      jobId: jobId.toString(),
      node: base.node,
      bond: bond.toString(),
      tx: challenged!.hash,
    });
    const entry = this.record(jobId, "challenged", { ...base, trueOutput, challengeTx: challenged!.hash, bond });
    this.emit("challenged", entry);
    if (!this.provable(version.zkVerifier, job, model, input)) {
      this.logger.info("awaiting arbitration", {
        jobId,
        reason: "no ZK verifier, or the input digest is not its commitment",
      });
      return entry;
    }
    return this.resolve(jobId, job, claim, proposal, model, input);
  }

  /**
   * Rules, as the dispute's arbitrator, on a challenged proposal: re-executes the model and calls `arbitrate` with
   * nodeRight = (the proposed output is the true output), journaled `arbitrated`. Nothing is done when the model
   * cannot be run here (the dispute then ends as a draw by timeout) or the dispute is already over.
   */
  private async arbitrateOne(jobId: bigint, atBlock: number): Promise<WatchedJob | undefined> {
    const key = jobId.toString();
    const dispute = await this.disputes.disputeOf(jobId);
    if (dispute.resolved) return undefined;
    const found = await this.jobOf(jobId, atBlock);
    const proposed = await this.lastLog(
      (a, b) => this.escrow.queryFilter(this.escrow.filters.ResultProposed(jobId), a, b),
      atBlock,
    );
    if (!found || !proposed) return undefined;
    const proposal = { outputHash: proposed.args.outputHash, challengeEnds: BigInt(proposed.args.challengeEnds) };
    const judged = await this.rerun(found.job, found.inputURI);
    if ("skip" in judged) {
      this.logger.warn("cannot arbitrate", { jobId: key, reason: judged.skip });
      return undefined;
    }
    const claim = await this.claimOf(jobId, proposed.blockNumber);
    const nodeRight = keccak256(judged.trueOutput) === proposal.outputHash;
    const receipt = await (
      await this.disputes.arbitrate(found.job, claim, proposal, nodeRight, nodeRight ? proposed.args.output : "0x")
    ).wait();
    const ruling = nodeRight ? "NodeRight" : "NodeWrong";
    this.logger.info("arbitrated", { jobId: key, ruling, tx: receipt!.hash });
    const w = this.record(jobId, "arbitrated", {
      node: claim.node,
      proposedOutput: proposed.args.output,
      trueOutput: judged.trueOutput,
      resolveTx: receipt!.hash,
      ruling,
      byProof: false,
    });
    this.emit("arbitrated", w);
    return w;
  }

  /** Re-executes a job's model on its input: the true output, or why the watcher cannot judge it. */
  private async rerun(
    job: Job,
    inputURI: string,
  ): Promise<{ model: HostedModel; input: Uint8Array; trueOutput: string } | { skip: string }> {
    let model: HostedModel;
    try {
      model = await this.host.get(BigInt(job.versionId));
    } catch (e) {
      return { skip: `model not served: ${errorMessage(e)}` };
    }
    let input: Uint8Array;
    try {
      input = await fetchInput(inputURI, this.config.baseDir, this.config.gateways);
    } catch (e) {
      return { skip: `input: ${errorMessage(e)}` };
    }
    if (!inputDigestOk(job.inputDigest, input, model, Number(job.mode)))
      return { skip: "input does not match its digest" };
    try {
      return { model, input, trueOutput: hexlify(await model.runner.run(input)) };
    } catch (e) {
      return { skip: `input: ${errorMessage(e)}` };
    }
  }

  /** Finishes a dispute this watcher opened (after a restart). */
  private async resume(jobId: bigint): Promise<WatchedJob> {
    const dispute = await this.disputes.disputeOf(jobId);
    if (dispute.resolved) return this.record(jobId, "resolved");
    const found = await this.jobOf(jobId, await this.escrow.runner!.provider!.getBlockNumber());
    if (!found) return this.watched(jobId)!;
    const version = await this.registry.getVersion(found.job.versionId);
    const judged = await this.rerun(found.job, found.inputURI);
    if ("skip" in judged || !this.provable(version.zkVerifier, found.job, judged.model, judged.input))
      return this.watched(jobId)!;
    const proposed = await this.lastLog(
      (a, b) => this.escrow.queryFilter(this.escrow.filters.ResultProposed(jobId), a, b),
      await this.escrow.runner!.provider!.getBlockNumber(),
    );
    if (!proposed) return this.watched(jobId)!;
    const proposal = { outputHash: proposed.args.outputHash, challengeEnds: BigInt(proposed.args.challengeEnds) };
    const claim = await this.claimOf(jobId, proposed.blockNumber);
    return this.resolve(jobId, found.job, claim, proposal, judged.model, judged.input);
  }

  /** Whether this watcher can decide the dispute with a proof: a ZK verifier, a circuit, the ZK input digest. */
  private provable(zkVerifier: string, job: Job, model: HostedModel, input: Uint8Array): boolean {
    if (zkVerifier === ZeroAddress || this.config.resolveByProof === false || !ModelHost.canProve(model)) return false;
    return inputDigestOk(job.inputDigest, input, model, Mode.ZK);
  }

  private async resolve(
    jobId: bigint,
    job: Job,
    claim: Claim,
    proposal: Proposal,
    model: HostedModel,
    input: Uint8Array,
  ) {
    if (!ModelHost.canProve(model)) throw new Error("the bundle has no ZK circuit");
    // The proof is bound to the proposing node: the escrow rebuilds the job tag for the claimer.
    const tag = jobTagOf(this.chainId, this.config.escrow, job, claim.node);
    const p = await model.runner.prove(input, tag, { singleThread: false });
    const receipt = await (
      await this.disputes.resolveByProof(job, claim, proposal, hexlify(p.output), hexlify(p.proof))
    ).wait();
    let ruling: "NodeRight" | "NodeWrong" = "NodeWrong";
    for (const e of eventsOf(this.disputes, receipt!.logs))
      if (e.name === "DisputeResolved") ruling = Number(e.args.ruling) === 0 ? "NodeRight" : "NodeWrong";
    this.logger.info("resolved", { jobId: jobId.toString(), ruling, byProof: true, tx: receipt!.hash });
    const entry = this.record(jobId, "resolved", { ruling, byProof: true, resolveTx: receipt!.hash });
    this.emit("resolved", entry);
    if (this.config.collectRewards !== false) await this.collect();
    return entry;
  }

  private async bondFor(job: Job): Promise<bigint> {
    const p = await this.disputes.params();
    return p.bond > job.payment ? p.bond : BigInt(job.payment);
  }

  /**
   * A job's last log of one kind up to `atBlock`, searched backwards in ranges of `maxBlockRange`: it stops at the
   * first range holding one, so a recent job costs a call or two. (Not bounded by `fromBlock`, where following
   * started: a job this watcher journaled before a restart may have been requested earlier.)
   */
  private lastLog<T>(query: (fromBlock: number, toBlock: number) => Promise<T[]>, atBlock: number) {
    return lastLogUpTo(query, atBlock, { maxRange: this.config.maxBlockRange });
  }

  private async jobOf(jobId: bigint, atBlock: number): Promise<{ job: Job; inputURI: string } | undefined> {
    const e = await this.lastLog(
      (a, b) => this.escrow.queryFilter(this.escrow.filters.JobRequested(jobId), a, b),
      atBlock,
    );
    return e ? { job: toJob(e.args.job as never), inputURI: e.args.inputURI } : undefined;
  }

  /** The claim the proposal was made under: the last `JobClaimed` up to the proposal's block. */
  private async claimOf(jobId: bigint, atBlock: number): Promise<Claim> {
    const last = await this.lastLog(
      (a, b) => this.escrow.queryFilter(this.escrow.filters.JobClaimed(jobId), a, b),
      atBlock,
    );
    if (!last) throw new Error(`no JobClaimed event for job ${jobId}`);
    return { node: last.args.node, deliverBy: BigInt(last.args.deliverBy) };
  }

  /** Journals a state of `jobId` (fsync'd before it returns, with a file) and returns the job's record. */
  private record(jobId: bigint, state: WatchedState, fields: EntryFields<WatchedFields> = {}): WatchedJob {
    const w = watchedOf(this.journal.record(jobId, state, fields));
    if (state === "correct" || state === "skipped") this.emit("checked", w);
    return w;
  }
}

/** A job's record as a `WatchedJob`: its last state and reason, every entry's fields merged. */
function watchedOf(r: JobRecord<WatchedState, WatchedFields>): WatchedJob {
  const { node, proposedOutput } = r.data;
  // Every job's first entry records the proposal (judge, arbitrateOne).
  if (node === undefined || proposedOutput === undefined) throw new Error(`journal: job ${r.jobId} has no proposal`);
  return { ...r.data, jobId: r.jobId, state: r.state, reason: r.reason, node, proposedOutput };
}

/** The journal at `file`: JSON lines, after converting a journal of the old format (version 1) if it is one. */
function openJournal(file: string): WatcherJournal {
  const terminal = WATCHER_TERMINAL_STATES;
  const old = readVersion1(file);
  if (old) {
    // Written beside it, then renamed over it: a crash part-way leaves the old file, converted again next time.
    const next = `${file}.converting`;
    rmSync(next, { force: true });
    copyFileSync(file, `${file}.v1`);
    const j = JobJournal.open<WatchedState, WatchedFields>(next, { terminal });
    for (const [id, { state, bond, ...fields }] of Object.entries(old.jobs))
      j.record(BigInt(id), state, { ...fields, bond: bond === undefined ? undefined : BigInt(bond) });
    // Version 1 kept the last block read; the journal keeps the next one. (Its arbitrated set is not carried over:
    // those disputes are over on chain, which `arbitrateOne` reads before ruling.)
    j.setCursor(old.cursor + 1);
    j.close();
    renameSync(next, file);
  }
  return JobJournal.open<WatchedState, WatchedFields>(file, { terminal });
}

/** The watcher's journal before it was a `JobJournal`: one JSON file, rewritten whole after each change. */
type Version1 = {
  version: 1;
  /** The last block read. */
  cursor: number;
  jobs: Record<string, Omit<WatchedJob, "jobId" | "bond"> & { bond?: string }>;
  arbitrated?: string[];
};

function readVersion1(file: string): Version1 | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, "utf8");
  // A JSON-lines journal is one object per line; version 1 was indented over many.
  if (!text.startsWith("{\n")) return undefined;
  try {
    const v = JSON.parse(text) as Partial<Version1>;
    return v.version === 1 && typeof v.cursor === "number" && typeof v.jobs === "object" ? (v as Version1) : undefined;
  } catch {
    return undefined;
  }
}

type ProposedArgs = { jobId: bigint; node: string; outputHash: string; output: string; challengeEnds: bigint };
