import { expect } from "chai";
import { network } from "hardhat";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AbiCoder, ZeroAddress } from "ethers";
import { BPS, JobStatus, Mode, modeBit } from "../helpers/constants.js";
import { readBundleDir, versionDigests } from "../../src/models/bundle.js";
import { readFileSync } from "node:fs";
import { keccak256 } from "ethers";
import { bundleDir, materializeBundle } from "../../src/models/materialize.js";
import { pipelineFor } from "../../src/models/pipelines/index.js";
import { releaseSnarkjs } from "../../zk/lib/snark.js";
import { JobJournal } from "../../src/node/journal.js";
import { silentLogger, type LogFields, type Logger } from "../../src/node/logger.js";
import {
  Watcher,
  WATCHER_TERMINAL_STATES,
  type WatchedFields,
  type WatchedJob,
  type WatchedState,
  type WatcherConfig,
} from "../../src/node/watcher.js";
import { PAYMENT } from "../helpers/fixtures.js";
import { referenceBundle } from "../helpers/node.js";
import { deployOptimisticFixture, trueOutput, type OptimisticFixture } from "../helpers/optimistic.js";

const { ethers, networkHelpers } = await network.create();
const fixture = () => deployOptimisticFixture(ethers, networkHelpers);
const WRONG = AbiCoder.defaultAbiCoder().encode(["int256[]"], [[1n, 2n, 3n, 2n]]);
const quiet = silentLogger;

describe("node: the watcher (challenger)", function () {
  let f: OptimisticFixture;
  let TRUE: string;
  let dir: string;
  before(async function () {
    TRUE = await trueOutput();
  });
  // The watcher proves with snarkjs' worker threads, which keep Node alive until released.
  after(() => releaseSnarkjs());
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
    dir = mkdtempSync(path.join(tmpdir(), "veritas-watcher-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A watcher journaling to `dir/<journal>` (null: in memory), from the current block unless `config` says. */
  const watcher = async (
    journal: string | null = "watcher.jsonl",
    config: Partial<WatcherConfig> = {},
    logger = quiet,
  ) =>
    new Watcher(
      {
        escrow: await f.escrow.getAddress(),
        fromBlock: await ethers.provider.getBlockNumber(),
        journalPath: journal === null ? undefined : path.join(dir, journal),
        bundles: { [f.provableVersion.toString()]: referenceBundle() },
        ...config,
      },
      { signer: f.challenger, logger },
    );
  /** The watcher's journal file, replayed. */
  const replay = (journal = "watcher.jsonl") =>
    JobJournal.open<WatchedState, WatchedFields>(path.join(dir, journal), { terminal: WATCHER_TERMINAL_STATES });
  const challenges = async (jobId: bigint) =>
    (await f.disputes.queryFilter(f.disputes.filters.Challenged(jobId))).length;

  it("catches a wrong optimistic result, challenges it, proves it wrong by ZK and gets the node slashed", async function () {
    const w = await watcher();
    const good = await f.requestOptimistic(f.provableVersion);
    await f.propose(good.job, TRUE, f.node2);
    const bad = await f.requestOptimistic(f.provableVersion);
    await f.propose(bad.job, WRONG);
    const stakeBefore = await f.staking.totalStakeOf(f.node.address);
    const vrtBefore = await f.token.balanceOf(f.challenger.address);
    const usdBefore = await f.usd.balanceOf(f.challenger.address);
    const requesterBefore = await f.escrow.balanceOf(f.requester.address);

    const done = await w.runOnce();
    const byId = new Map(done.map((d) => [d.jobId, d]));
    expect(byId.get(good.jobId)?.state).to.equal("correct");
    const judged = byId.get(bad.jobId) as WatchedJob;
    expect(judged.state).to.equal("resolved");
    expect(judged.ruling).to.equal("NodeWrong");
    expect(judged.trueOutput).to.equal(TRUE);

    expect(await f.escrow.jobStatus(good.jobId)).to.equal(JobStatus.Proposed);
    expect(await f.escrow.jobStatus(bad.jobId)).to.equal(JobStatus.Refunded);
    expect(await f.escrow.balanceOf(f.requester.address)).to.equal(requesterBefore + PAYMENT);
    expect(await f.staking.totalStakeOf(f.node.address)).to.equal(stakeBefore - bad.job.collateral);
    // The watcher claimed its half of the slash and got its bond back (withdrawn to its wallet).
    const reward = (bad.job.collateral * 5_000n) / BPS;
    expect(await f.token.balanceOf(f.challenger.address)).to.equal(vrtBefore + reward);
    expect(await f.usd.balanceOf(f.challenger.address)).to.equal(usdBefore);
    expect(await f.staking.rewardsOf(f.challenger.address)).to.equal(0n);
    expect(await f.escrow.balanceOf(f.challenger.address)).to.equal(0n);
  });

  it("leaves correct results and unknown models alone, and a restart neither re-judges nor re-challenges", async function () {
    const start = await ethers.provider.getBlockNumber();
    const w = await watcher();
    const opaque = await f.requestOptimistic(f.plainVersion); // a model the watcher does not have
    await f.propose(opaque.job, WRONG);
    const done = await w.runOnce();
    expect(done.map((d) => [d.jobId, d.state])).to.deep.equal([[opaque.jobId, "skipped"]]);
    // Its artifactURI is no bundle this watcher can fetch (no gateway, not a CID).
    expect(done[0].reason).to.match(/^model not served: .*ipfs:\/\/mlp\.onnx/);
    expect(await f.escrow.jobStatus(opaque.jobId)).to.equal(JobStatus.Proposed);

    const bad = await f.requestOptimistic(f.provableVersion);
    await f.propose(bad.job, WRONG);
    const head = await ethers.provider.getBlockNumber(); // what the round reads up to (its challenge comes after)
    const first = await w.runOnce();
    expect(first.map((d) => d.state)).to.deep.equal(["resolved"]);
    // The journal is JobJournal's JSON lines: each state of each job, and the follower's cursor (the next block).
    const j = replay();
    expect(j.get(bad.jobId)!.history.map((e) => e.state)).to.deep.equal(["challenged", "resolved"]);
    expect(j.get(opaque.jobId)!.state).to.equal("skipped");
    expect(j.cursor).to.equal(head + 1);
    expect(j.pending()).to.deep.equal([]);
    j.close();
    // A new process on the same journal, configured to start before both proposals: it resumes from the journal's
    // cursor instead, and has nothing left to do.
    const started: LogFields[] = [];
    const logger: Logger = { ...quiet, info: (msg, fields) => void (msg === "started" && started.push(fields!)) };
    const again = await watcher("watcher.jsonl", { fromBlock: start }, logger);
    expect(await again.runOnce()).to.deep.equal([]);
    expect(started.map((l) => l.fromBlock)).to.deep.equal([head + 1]);
    expect(again.watched(bad.jobId)).to.include({ state: "resolved", ruling: "NodeWrong", trueOutput: TRUE });
    expect(again.watched(bad.jobId)!.bond).to.equal(first[0].bond);
    expect(typeof first[0].bond).to.equal("bigint");
    expect(await challenges(bad.jobId)).to.equal(1);
  });

  it("a journal that lost its cursor lines and ends in a torn line: replayed, the open dispute is neither lost nor challenged twice", async function () {
    const start = await ethers.provider.getBlockNumber();
    const bad = await f.requestOptimistic(f.provableVersion);
    await f.propose(bad.job, WRONG);
    const first = await watcher("watcher.jsonl", { fromBlock: start, resolveByProof: false });
    expect((await first.runOnce()).map((d) => [d.jobId, d.state])).to.deep.equal([[bad.jobId, "challenged"]]);
    await first.stop();
    // Killed after the challenge's entry, before the range's cursor line, and again half-way through a line.
    const file = path.join(dir, "watcher.jsonl");
    const lines = readFileSync(file, "utf8").split("\n");
    const kept = lines.filter((l) => l !== "" && !l.startsWith('{"cursor"'));
    expect(kept.length).to.be.lessThan(lines.length - 1); // there were cursor lines to lose
    writeFileSync(file, kept.join("\n") + '\n{"jobId":{"$n":"' + bad.jobId.toString());

    const second = await watcher("watcher.jsonl", { fromBlock: start, resolveByProof: false });
    expect(second.journal.ignoredLines).to.equal(1);
    expect(second.journal.cursor).to.equal(undefined);
    expect(second.watched(bad.jobId)).to.include({ state: "challenged", trueOutput: TRUE });
    // It reads the proposal again (from `start`), knows it, and only resumes the dispute it opened (no proof here).
    const done = await second.runOnce();
    expect(done.map((d) => [d.jobId, d.state])).to.deep.equal([[bad.jobId, "challenged"]]);
    expect(await challenges(bad.jobId)).to.equal(1);
    expect(await f.escrow.jobStatus(bad.jobId)).to.equal(JobStatus.Disputed);
    expect(second.journal.cursor).to.equal((await ethers.provider.getBlockNumber()) + 1);
  });

  it("without journalPath it journals in memory: the same process never judges twice, nothing is written, a new one starts afresh", async function () {
    const start = await ethers.provider.getBlockNumber();
    const good = await f.requestOptimistic(f.provableVersion);
    await f.propose(good.job, TRUE);
    const w = await watcher(null, { fromBlock: start });
    expect(w.journal.file).to.equal(undefined);
    expect((await w.runOnce()).map((d) => [d.jobId, d.state])).to.deep.equal([[good.jobId, "correct"]]);
    expect(w.journal.cursor).to.equal((await ethers.provider.getBlockNumber()) + 1);
    expect(await w.runOnce()).to.deep.equal([]);
    expect(w.watched(good.jobId)).to.include({ state: "correct", trueOutput: TRUE, proposedOutput: TRUE });
    expect(readdirSync(dir)).to.deep.equal([]);
    // Nothing outlives the process: a new watcher from the same block judges the proposal again.
    const fresh = await watcher(null, { fromBlock: start });
    expect((await fresh.runOnce()).map((d) => [d.jobId, d.state])).to.deep.equal([[good.jobId, "correct"]]);
  });

  it("converts a journal of the old format (one JSON file): its cursor and jobs carry over, nothing is done twice", async function () {
    const start = await ethers.provider.getBlockNumber();
    const bad = await f.requestOptimistic(f.provableVersion);
    await f.propose(bad.job, WRONG);
    const first = await watcher(null, { fromBlock: start, resolveByProof: false });
    const [challenged] = await first.runOnce();
    expect(challenged.state).to.equal("challenged");
    const head = await ethers.provider.getBlockNumber();
    // What the old watcher wrote: the last block read, each job's latest entry (the bond a decimal string).
    const { jobId, bond, ...entry } = challenged;
    const old = JSON.stringify(
      { version: 1, cursor: head, jobs: { [jobId.toString()]: { ...entry, bond: String(bond) } } },
      null,
      1,
    );
    writeFileSync(path.join(dir, "old.json"), old);

    const w = await watcher("old.json", { fromBlock: start, resolveByProof: false });
    expect(readFileSync(path.join(dir, "old.json.v1"), "utf8")).to.equal(old);
    expect(w.journal.cursor).to.equal(head + 1);
    expect(w.watched(jobId)).to.deep.equal(challenged);
    expect((await w.runOnce()).map((d) => [d.jobId, d.state])).to.deep.equal([[jobId, "challenged"]]);
    expect(await challenges(jobId)).to.equal(1);
    const j = replay("old.json");
    expect(j.ignoredLines).to.equal(0);
    expect(j.get(jobId)!.data.bond).to.equal(bond);
    expect(readdirSync(dir).sort()).to.deep.equal(["old.json", "old.json.v1"]);
  });

  it("finishes a dispute it opened before a restart (challenged, not yet resolved)", async function () {
    const w = await watcher();
    const first = new Watcher({ ...w.config, resolveByProof: false }, { signer: f.challenger, logger: quiet });
    const bad = await f.requestOptimistic(f.provableVersion);
    await f.propose(bad.job, WRONG);
    expect((await first.runOnce()).map((d) => d.state)).to.deep.equal(["challenged"]);
    expect(await f.escrow.jobStatus(bad.jobId)).to.equal(JobStatus.Disputed);
    const second = await watcher();
    const done = await second.runOnce();
    expect(done.map((d) => [d.jobId, d.state, d.ruling])).to.deep.equal([[bad.jobId, "resolved", "NodeWrong"]]);
    expect(await f.escrow.jobStatus(bad.jobId)).to.equal(JobStatus.Refunded);
  });

  describe("disputes without a ZK verifier go to the arbitrator", function () {
    /** The reference bundle (or `manifest`'s) published as an OPTIMISTIC-only version with no verifier. */
    async function arbitratedVersion(manifest = readBundleDir(referenceBundle()).manifest): Promise<bigint> {
      const d = versionDigests(manifest);
      await f.registry.connect(f.modelOwner).publishVersion(f.modelId, {
        weightsDigest: d.weightsDigest,
        ioSchemaDigest: d.ioSchemaDigest,
        artifactURI: "ipfs://not-fetched",
        royalty: 0n,
        minCollateral: 0n,
        modes: modeBit(Mode.OPTIMISTIC),
        zkVerifier: ZeroAddress,
        teeMeasurements: [],
      });
      return f.registry.versionCount();
    }
    const arbitrator = async (v: bigint, journal = "arbitrator.jsonl") =>
      new Watcher(
        {
          escrow: await f.escrow.getAddress(),
          fromBlock: await ethers.provider.getBlockNumber(),
          journalPath: path.join(dir, journal),
          bundles: { [v.toString()]: referenceBundle() },
          arbitrate: true,
          challenge: false,
        },
        { signer: f.governance, logger: quiet }, // the fixture's appointed arbitrator
      );

    it("a wrong proposal: the watcher challenges, the arbitrator re-executes and rules NodeWrong (slash, refund)", async function () {
      const v = await arbitratedVersion();
      const w = new Watcher(
        { ...(await watcher()).config, bundles: { [v.toString()]: referenceBundle() } },
        { signer: f.challenger, logger: quiet },
      );
      const arb = await arbitrator(v);
      const bad = await f.requestOptimistic(v);
      await f.propose(bad.job, WRONG);
      const stakeBefore = await f.staking.totalStakeOf(f.node.address);
      const challenged = await w.runOnce();
      expect(challenged.map((d) => [d.jobId, d.state])).to.deep.equal([[bad.jobId, "challenged"]]);
      expect(await f.escrow.jobStatus(bad.jobId)).to.equal(JobStatus.Disputed);

      const ruled = await arb.runOnce();
      expect(ruled.map((d) => [d.jobId, d.state, d.ruling, d.byProof])).to.deep.equal([
        [bad.jobId, "arbitrated", "NodeWrong", false],
      ]);
      expect(ruled[0].trueOutput).to.equal(TRUE);
      expect(await f.escrow.jobStatus(bad.jobId)).to.equal(JobStatus.Refunded);
      expect(await f.staking.totalStakeOf(f.node.address)).to.equal(stakeBefore - bad.job.collateral);
      const [resolved] = await f.disputes.queryFilter(f.disputes.filters.DisputeResolved(bad.jobId));
      expect(resolved.args.byProof).to.equal(false);
      // Its journal records the ruling; a restarted arbitrator on the same journal does not rule twice.
      expect(replay("arbitrator.jsonl").get(bad.jobId)).to.include({ state: "arbitrated" });
      expect(await (await arbitrator(v)).runOnce()).to.deep.equal([]);
    });

    it("a real model: a wrong PaddleOCR output is challenged and the arbitrator, re-running OCR, rules NodeWrong", async function () {
      this.timeout(120_000);
      const b = materializeBundle("paddleocr-v4");
      const v = await arbitratedVersion(b.manifest);
      const png = new Uint8Array(readFileSync("test/fixtures/ocr/img-017.png"));
      const pipeline = await pipelineFor(b.manifest);
      const runner = await pipeline.load(b);
      const honest = await runner.run(png);
      await runner.release();
      const wrong = pipeline.tamper(honest, b.manifest);
      const bundles = { [v.toString()]: bundleDir("paddleocr-v4") };
      const w = new Watcher({ ...(await watcher()).config, bundles }, { signer: f.challenger, logger: quiet });
      const arb = new Watcher({ ...(await arbitrator(v)).config, bundles }, { signer: f.governance, logger: quiet });
      const bad = await f.requestOptimistic(v, f.requester, {
        inputDigest: keccak256(png),
        inputURI: `data:image/png;base64,${Buffer.from(png).toString("base64")}`,
      });
      await f.propose(bad.job, "0x" + Buffer.from(wrong).toString("hex"));
      const stakeBefore = await f.staking.totalStakeOf(f.node.address);
      const challenged = await w.runOnce();
      expect(challenged.map((x) => [x.jobId, x.state])).to.deep.equal([[bad.jobId, "challenged"]]);
      const ruled = await arb.runOnce();
      expect(ruled.map((x) => [x.jobId, x.state, x.ruling, x.byProof])).to.deep.equal([
        [bad.jobId, "arbitrated", "NodeWrong", false],
      ]);
      expect(ruled[0].trueOutput).to.equal("0x" + Buffer.from(honest).toString("hex"));
      expect(new TextDecoder().decode(honest)).to.include('"text":"escrow email"');
      expect(await f.escrow.jobStatus(bad.jobId)).to.equal(JobStatus.Refunded);
      expect(await f.staking.totalStakeOf(f.node.address)).to.equal(stakeBefore - bad.job.collateral);
    });

    it("a right proposal challenged anyway: the arbitrator rules NodeRight and the result settles", async function () {
      const v = await arbitratedVersion();
      const arb = await arbitrator(v);
      const good = await f.requestOptimistic(v);
      const { claim, proposal } = await f.propose(good.job, TRUE);
      await f.disputes.connect(f.challenger).challenge(good.job, claim, proposal); // a griefing challenger
      const ruled = await arb.runOnce();
      expect(ruled.map((d) => [d.jobId, d.state, d.ruling])).to.deep.equal([[good.jobId, "arbitrated", "NodeRight"]]);
      expect(await f.escrow.jobStatus(good.jobId)).to.equal(JobStatus.Settled);
      const [settled] = await f.escrow.queryFilter(f.escrow.filters.JobSettled(good.jobId));
      expect(settled.args.output).to.equal(TRUE);
    });
  });
});
