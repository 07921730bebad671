import { expect } from "chai";
import { network } from "hardhat";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AbiCoder, ZeroAddress } from "ethers";
import { BPS, JobStatus, Mode, modeBit } from "../helpers/constants.js";
import { readBundleDir, versionDigests } from "../../src/models/bundle.js";
import { readFileSync } from "node:fs";
import { keccak256 } from "ethers";
import { bundleDir, materializeBundle } from "../../src/models/materialize.js";
import { pipelineFor } from "../../src/models/pipelines/index.js";
import { releaseSnarkjs } from "../../scripts/lib/zk/snark.js";
import { silentLogger } from "../../src/node/logger.js";
import { Watcher, type WatchedJob } from "../../src/node/watcher.js";
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

  const watcher = async (journal = "watcher.json") =>
    new Watcher(
      {
        escrow: await f.escrow.getAddress(),
        fromBlock: await ethers.provider.getBlockNumber(),
        journalPath: path.join(dir, journal),
        bundles: { [f.provableVersion.toString()]: referenceBundle() },
      },
      { signer: f.challenger, logger: quiet },
    );

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
    const first = await w.runOnce();
    expect(first.map((d) => d.state)).to.deep.equal(["resolved"]);
    // A new process on the same journal: nothing left to do.
    const again = await watcher();
    expect(await again.runOnce()).to.deep.equal([]);
    expect(again.watched(bad.jobId)?.state).to.equal("resolved");
    expect((await f.disputes.queryFilter(f.disputes.filters.Challenged(bad.jobId))).length).to.equal(1);
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
    const arbitrator = async (v: bigint, journal = "arbitrator.json") =>
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
      // A restarted arbitrator on the same journal does not rule twice.
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
