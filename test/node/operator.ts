import { expect } from "chai";
import { network } from "hardhat";
import { readFileSync } from "node:fs";
import { ZeroAddress } from "ethers";
import { JobStatus, Mode, modeBit } from "../helpers/constants.js";
import { teeResultDomain } from "../../src/tee.js";
import { proveJob } from "../../zk/lib/escrow.js";
import { releaseSnarkjs } from "../../zk/lib/snark.js";
import { decodeOutput } from "../../zk/lib/prover.js";
import { NO_CLAIM } from "../../src/jobs.js";
import { JobJournal, type JobState } from "../../src/node/journal.js";
import { nodeFeeOf } from "../../src/jobs.js";
import type { JobSummary, NodeJobData } from "../../src/node/operator.js";
import { IpfsGateway } from "../../src/ipfs/gateway.js";
import { readBundleDir, versionDigests } from "../../src/models/bundle.js";
import { bundleCid, bundleFiles } from "../../src/models/source.js";
import { bundleDir, materializeBundle } from "../../src/models/materialize.js";
import { pipelineFor } from "../../src/models/pipelines/index.js";
import { keccak256 } from "ethers";
import { silentLogger } from "../../src/node/logger.js";
import { MEASUREMENT } from "../helpers/fixtures.js";
import {
  deployNodeFixture,
  flakyProvider,
  makeNode,
  referenceBundle,
  tamperedBundle,
  tempDir,
  type NodeFixture,
} from "../helpers/node.js";
import { trueOutput } from "../helpers/optimistic.js";
import { ZK_INPUT } from "../helpers/zk.js";

const { ethers, networkHelpers } = await network.create();
const fixture = () => deployNodeFixture(ethers, networkHelpers);
const { time } = networkHelpers;

describe("node/VeritasNode", function () {
  // The node proves with snarkjs' worker threads, which keep Node alive until released.
  after(() => releaseSnarkjs());
  this.timeout(120_000);

  describe("TEE", function () {
    it("fulfils a TEE job directly with an enclave signature, settles it and withdraws its earnings", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const node = await makeNode(f, tempDir());
      const { jobId, job } = await f.request({ mode: Mode.TEE });
      const seen: JobSummary[] = [];
      node.on("job", (s: JobSummary) => seen.push(s));
      const t0 = performance.now();
      const summaries = await node.runOnce();
      const ms = performance.now() - t0;
      expect(summaries).to.have.length(1);
      expect(seen).to.deep.equal(summaries);
      const [s] = summaries;
      expect(s).to.include({ jobId, mode: "tee", status: "settled", node: f.node.address, batchSize: 1 });
      expect(s.gasUsed! > 0n).to.equal(true);
      expect(s.settledAt! >= s.requestedAt!).to.equal(true);
      expect(s.output).to.equal(await trueOutput());
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
      expect(await node.runOnce()).to.deep.equal([]); // nothing twice

      const before = await f.usd.balanceOf(f.node.address);
      const w = await node.withdrawEarnings();
      expect(w.amount).to.equal(nodeFeeOf(job));
      expect(await f.usd.balanceOf(f.node.address)).to.equal(before + nodeFeeOf(job));
      expect((await node.withdrawEarnings()).amount).to.equal(0n);
      await node.stop();
      console.log(`      TEE job, one runOnce (fetch, check, run, sign, submit): ${ms.toFixed(0)} ms`);
    });

    it("batches TEE results: up to teeBatchSize jobs settle in one transaction under one signature", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const N = 16;
      const node = await makeNode(f, tempDir(), { teeBatchSize: N, teeMaxWaitMs: 60_000 });
      const ids: bigint[] = [];
      for (let i = 0; i < N; i++) ids.push((await f.request({ mode: Mode.TEE })).jobId);
      const t0 = performance.now();
      const summaries = await node.runOnce();
      const s = (performance.now() - t0) / 1000;
      expect(summaries.map((x) => x.jobId)).to.deep.equal(ids);
      expect(new Set(summaries.map((x) => x.txHash)).size).to.equal(1);
      expect(summaries.every((x) => x.status === "settled" && x.batchSize === N)).to.equal(true);
      for (const id of ids) expect(await f.escrow.jobStatus(id)).to.equal(JobStatus.Settled);
      await node.stop();
      console.log(
        `      ${N} TEE jobs in one batch: ${s.toFixed(2)} s in runOnce = ${(N / s).toFixed(1)} jobs/s, ` +
          `${summaries[0].gasUsed} gas (${summaries[0].gasUsed! / BigInt(N)} per job)`,
      );
    });

    it("holds a partial batch until teeMaxWaitMs, and submits it on stop()", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const node = await makeNode(f, tempDir(), { teeBatchSize: 4, teeMaxWaitMs: 60_000 });
      const a = await f.request({ mode: Mode.TEE });
      const b = await f.request({ mode: Mode.TEE });
      expect(await node.runOnce()).to.deep.equal([]);
      expect(await f.escrow.jobStatus(a.jobId)).to.equal(JobStatus.Open);
      const settled: JobSummary[] = [];
      node.on("job", (s: JobSummary) => settled.push(s));
      await node.stop();
      expect(settled.map((s) => s.jobId)).to.deep.equal([a.jobId, b.jobId]);
      expect(await f.escrow.jobStatus(b.jobId)).to.equal(JobStatus.Settled);
    });
  });

  it("ZK: proves the job with the Groth16 prover and settles it", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const node = await makeNode(f, tempDir());
    const { jobId } = await f.request();
    const t0 = performance.now();
    const [s] = await node.runOnce();
    const ms = performance.now() - t0;
    expect(s).to.include({ jobId, mode: "zk", status: "settled", batchSize: 1 });
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
    const [settled] = await f.escrow.queryFilter(f.escrow.filters.JobSettled(jobId));
    expect(settled.args.output).to.equal(await trueOutput());
    await node.stop();
    console.log(`      ZK job, one runOnce (run, prove, submit): ${ms.toFixed(0)} ms`);
  });

  it("optimistic: claims and proposes, then finalizes its proposal once the window has passed", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const node = await makeNode(f, tempDir());
    const { jobId, job } = await f.requestOptimistic(f.provableVersion);
    const [p] = await node.runOnce();
    expect(p).to.include({ jobId, mode: "optimistic", status: "proposed" });
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Proposed);
    expect(await node.runOnce()).to.deep.equal([]); // window still open
    await time.increase(job.challengeWindow);
    const [s] = await node.runOnce();
    expect(s).to.include({ jobId, status: "settled" });
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
    expect(await f.escrow.balanceOf(f.node.address)).to.equal(nodeFeeOf(job));
    await node.stop();
  });

  it("optimistic with the wrongOutput fault (demo hook): proposes a wrong label", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const node = await makeNode(f, tempDir(), { faults: { wrongOutput: true } });
    const { jobId } = await f.requestOptimistic(f.provableVersion);
    const [p] = await node.runOnce();
    expect(p.status).to.equal("proposed");
    const truth = decodeOutput(await trueOutput());
    const proposed = decodeOutput(p.output!);
    expect(proposed.logits).to.deep.equal(truth.logits);
    expect(proposed.label).to.not.equal(truth.label);
    const [ev] = await f.escrow.queryFilter(f.escrow.filters.ResultProposed(jobId));
    expect(ev.args.output).to.equal(p.output);
    await node.stop();
  });

  it("optimistic: follows its challenged (wrong) proposal through the dispute to the refund", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const node = await makeNode(f, tempDir(), { faults: { wrongOutput: true } });
    const { jobId, job } = await f.requestOptimistic(f.provableVersion);
    await node.runOnce();
    const [claimed] = await f.escrow.queryFilter(f.escrow.filters.JobClaimed(jobId));
    const [proposed] = await f.escrow.queryFilter(f.escrow.filters.ResultProposed(jobId));
    const claim = { node: claimed.args.node, deliverBy: claimed.args.deliverBy };
    const proposal = { outputHash: proposed.args.outputHash, challengeEnds: proposed.args.challengeEnds };
    await f.disputes.connect(f.challenger).challenge(job, claim, proposal);
    await time.increase(job.challengeWindow);
    const [d] = await node.runOnce();
    expect(d).to.include({ jobId, status: "disputed" });
    expect(await node.runOnce()).to.deep.equal([]);
    const p = await proveJob(job, f.node.address, ZK_INPUT, f.chainId, await f.escrow.getAddress());
    await f.disputes.connect(f.challenger).resolveByProof(job, claim, proposal, p.output, p.proof);
    const [r] = await node.runOnce();
    expect(r).to.include({ jobId, status: "refunded" });
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Refunded);
    expect(node.journal.pending()).to.deep.equal([]);
    await node.stop();
  });

  it("TEE: a batch in which another node settled one job settles the others; the node journals that one skipped", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const dir = tempDir();
    const a = await f.request({ mode: Mode.TEE });
    const b = await f.request({ mode: Mode.TEE });
    const c = await f.request({ mode: Mode.TEE });
    const first = await makeNode(f, dir, { teeBatchSize: 4, teeMaxWaitMs: 60_000 });
    const seen: JobSummary[] = [];
    first.on("job", (j: JobSummary) => seen.push(j));
    expect(await first.runOnce()).to.deep.equal([]); // all three wait for the batch
    // Meanwhile node2 fulfils b directly.
    const output = await trueOutput();
    await f.escrow
      .connect(f.node2)
      .submitResult(
        b.job,
        NO_CLAIM,
        output,
        await f.enclave2.signResult(
          teeResultDomain(f.chainId, await f.teeVerifier.getAddress()),
          await f.escrow.getAddress(),
          b.job,
          output,
        ),
      );
    await first.stop(); // the forced flush: the batch leaves b out (ResultSkipped) instead of reverting
    expect(seen.map((s) => [s.jobId, s.status, s.reason])).to.have.deep.members([
      [b.jobId, "skipped", "left out of the batch: the job was Settled when it was mined"],
      [a.jobId, "settled", undefined],
      [c.jobId, "settled", undefined],
    ]);
    for (const j of [a, c]) {
      const [settled] = await f.escrow.queryFilter(f.escrow.filters.JobSettled(j.jobId));
      expect(settled.args.node).to.equal(f.node.address);
    }
    const [settledB] = await f.escrow.queryFilter(f.escrow.filters.JobSettled(b.jobId));
    expect(settledB.args.node).to.equal(f.node2.address);
    const [skipped] = await f.escrow.queryFilter(f.escrow.filters.ResultSkipped(b.jobId));
    expect(skipped).to.not.equal(undefined);
    // A restart on the same journal has nothing left to do.
    const second = await makeNode(f, dir, { teeBatchSize: 4, teeMaxWaitMs: 0 });
    expect(await second.runOnce()).to.deep.equal([]);
    await second.stop();
  });

  describe("restart mid-job", function () {
    for (const step of ["compute", "submit"] as const) {
      it(`killed after claiming, before ${step}: a new node on the same journal settles it once`, async function () {
        const f = await networkHelpers.loadFixture(fixture);
        const dir = tempDir();
        const { jobId } = await f.request({ mode: Mode.TEE });
        const first = await makeNode(f, dir, { claimFirst: true, faults: { haltBefore: step } });
        expect(await first.runOnce()).to.deep.equal([]);
        expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Claimed);
        first.journal.close(); // killed: no stop(), nothing flushed

        const second = await makeNode(f, dir, { claimFirst: true });
        const [s] = await second.runOnce();
        expect(s).to.include({ jobId, status: "settled" });
        expect(await second.runOnce()).to.deep.equal([]);
        await second.stop();
        expect(await f.escrow.queryFilter(f.escrow.filters.JobClaimed(jobId))).to.have.length(1);
        expect(await f.escrow.queryFilter(f.escrow.filters.JobSettled(jobId))).to.have.length(1);
        const states = JobJournal.open(`${dir}/journal.jsonl`)
          .get(jobId)!
          .history.map((e) => e.state);
        expect(states).to.deep.equal(["seen", "claimed", "computed", "submitted", "settled"]);
      });
    }

    it("a result already submitted before the kill is recognised, not sent again", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const dir = tempDir();
      const { jobId, job } = await f.request();
      const first = await makeNode(f, dir, { faults: { haltBefore: "submit" } });
      await first.runOnce();
      first.journal.close();
      // The kill happened after the transaction was sent but before the journal line: submit it by hand.
      const d = JobJournal.open<JobState, NodeJobData>(`${dir}/journal.jsonl`).get(jobId)!.data;
      await f.escrow.connect(f.node).submitResult(job, NO_CLAIM, d.output!, d.proof!);

      const second = await makeNode(f, dir);
      const [s] = await second.runOnce();
      expect(s).to.include({ jobId, status: "settled" });
      await second.stop();
      expect(await f.escrow.queryFilter(f.escrow.filters.JobSettled(jobId))).to.have.length(1);
    });
  });

  describe("bundles from IPFS", function () {
    /** The reference bundle on a local gateway, published as a TEE version whose artifactURI is its CID. */
    async function ipfsVersion(f: NodeFixture, gw: IpfsGateway): Promise<bigint> {
      const b = readBundleDir(referenceBundle());
      const cid = await gw.addDirectory(bundleFiles(b));
      const d = versionDigests(b.manifest);
      await f.registry.connect(f.modelOwner).publishVersion(f.modelId, {
        weightsDigest: d.weightsDigest,
        ioSchemaDigest: d.ioSchemaDigest,
        artifactURI: `ipfs://${cid}`,
        royalty: 0n,
        minCollateral: 0n,
        modes: modeBit(Mode.TEE),
        zkVerifier: ZeroAddress,
        teeMeasurements: [MEASUREMENT],
      });
      return f.registry.versionCount();
    }

    it("fetches the version's bundle from its artifactURI through a gateway, verifies it and serves the job", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const gw = new IpfsGateway();
      await gw.start();
      try {
        const v = await ipfsVersion(f, gw);
        const { jobId } = await f.request({ mode: Mode.TEE, versionId: v });
        const node = await makeNode(f, tempDir(), { models: [{ versionId: v }], gateways: [gw.url] });
        const [s] = await node.runOnce();
        await node.stop();
        expect(s).to.include({ jobId, status: "settled" });
        expect(s.output).to.equal(await trueOutput());
        expect(gw.requests).to.be.greaterThan(0);
      } finally {
        await gw.stop();
      }
    });

    it("a gateway serving tampered bytes: the bundle is refused with the reason and nothing is claimed", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const gw = new IpfsGateway();
      await gw.start();
      try {
        const v = await ipfsVersion(f, gw);
        gw.tamper = true;
        const { jobId } = await f.request({ mode: Mode.TEE, versionId: v });
        const lines: string[] = [];
        const logger = {
          ...silentLogger,
          error: (msg: string, o?: object) =>
            lines.push(`${msg} ${JSON.stringify(o, (_k, x) => (typeof x === "bigint" ? x.toString() : x))}`),
        };
        const node = await makeNode(
          f,
          tempDir(),
          { models: [{ versionId: v }], gateways: [gw.url], claimFirst: true },
          { logger },
        );
        const [s] = await node.runOnce();
        await node.stop();
        expect(s).to.include({ jobId, status: "skipped" });
        expect(s.reason).to.match(/^model bundle refused: .*does not hash to its CID \(tampered\)/);
        expect(lines.some((l) => l.startsWith("model bundle refused: the job is not claimed"))).to.equal(true);
        expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
        expect(await f.escrow.queryFilter(f.escrow.filters.JobClaimed())).to.have.length(0);
      } finally {
        await gw.stop();
      }
    });
  });

  describe("skips what it cannot serve", function () {
    it("jobs for an unknown model version and for a tampered bundle are journaled as skipped", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const dir = tempDir();
      const unknown = await f.requestOptimistic(f.plainVersion);
      const tee = await f.request({ mode: Mode.TEE });
      const node = await makeNode(f, dir, {
        models: [{ versionId: 1, bundle: tamperedBundle(dir) }],
        claimFirst: true, // the bundle is checked before claiming: nothing gets locked
      });
      const summaries = await node.runOnce();
      await node.stop();
      const refused = summaries.find((s) => s.jobId === tee.jobId)!;
      expect(summaries.map((s) => [s.jobId, s.status])).to.deep.equal([
        [unknown.jobId, "skipped"],
        [tee.jobId, "skipped"],
      ]);
      expect(summaries[0].reason).to.equal(`model version ${f.plainVersion} not served`);
      expect(refused.reason).to.match(/^model bundle refused: .*file model \(model\.onnx\) is 1088 bytes with sha256/);
      expect(await f.escrow.jobStatus(tee.jobId)).to.equal(JobStatus.Open);
      expect(await f.escrow.jobStatus(unknown.jobId)).to.equal(JobStatus.Open);
      const journal = JobJournal.open(`${dir}/journal.jsonl`);
      expect(journal.get(tee.jobId)).to.include({ state: "skipped", reason: refused.reason });
      const lines = readFileSync(`${dir}/journal.jsonl`, "utf8").trim().split("\n");
      expect(lines.some((l) => l.includes('"state":"claimed"'))).to.equal(false);
      expect(await f.escrow.queryFilter(f.escrow.filters.JobClaimed())).to.have.length(0);
    });

    it("fees below the minimum, deadlines too close, inputs that do not match their digest, modes not served", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const node = await makeNode(f, tempDir(), { modes: ["tee", "zk"], minFee: 900_000n, minTimeLeftSeconds: 600 });
      const cheap = await f.request({ payment: 900_000n });
      const now = BigInt(await time.latest());
      const hurried = await f.request({ payment: 2_000_000n, expiresAt: now + 400n, deliveryWindow: 60n });
      const badInput = await f.request({ payment: 2_000_000n, inputURI: "data:application/json,[1,2,3,4,5,6,7,8]" });
      const optimistic = await f.requestOptimistic(f.provableVersion);
      const reasons = (await node.runOnce()).map((s) => [s.jobId, s.status, s.reason?.replace(/\(.*\)/, "()")]);
      await node.stop();
      expect(reasons).to.deep.equal([
        [cheap.jobId, "skipped", "fee below minimum ()"],
        [hurried.jobId, "skipped", "deadline too close ()"],
        [badInput.jobId, "skipped", "input digest mismatch"],
        [optimistic.jobId, "skipped", "mode optimistic not served"],
      ]);
    });
  });

  it("keeps going through RPC errors", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const state = { failures: 2, calls: 0 };
    const node = await makeNode(f, tempDir(), {}, { provider: flakyProvider(f.ethers.provider, state) });
    const { jobId } = await f.request({ mode: Mode.TEE });
    expect(await node.runOnce()).to.deep.equal([]); // getBlockNumber fails
    expect(await node.runOnce()).to.deep.equal([]); // getLogs fails
    const [s] = await node.runOnce();
    expect(s).to.include({ jobId, status: "settled" });
    expect(state.failures).to.equal(0);
    await node.stop();
  });

  it("waits for the confirmation depth before acting on a request", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const node = await makeNode(f, tempDir(), { confirmations: 3 });
    const { jobId } = await f.request({ mode: Mode.TEE });
    expect(await node.runOnce()).to.deep.equal([]);
    await networkHelpers.mine(2);
    expect(await node.runOnce()).to.deep.equal([]);
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
    await networkHelpers.mine(1);
    const [s] = await node.runOnce();
    expect(s).to.include({ jobId, status: "settled" });
    await node.stop();
  });

  it("start() serves jobs in the background until stop()", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const node = await makeNode(f, tempDir(), { pollIntervalMs: 20 });
    const settled = new Promise<JobSummary>((resolve) => node.on("job", resolve));
    await node.start();
    const { jobId } = await f.request({ mode: Mode.TEE });
    const s = await settled;
    await node.stop();
    expect(s).to.include({ jobId, status: "settled" });
  });

  describe("a real model: PaddleOCR v4 on a real image", function () {
    it("a TEE job on a PNG (ipfs:// input) is recognised, signed and settled with the canonical OCR JSON", async function () {
      this.timeout(120_000);
      const f = await networkHelpers.loadFixture(fixture);
      const b = materializeBundle("paddleocr-v4");
      const d = versionDigests(b.manifest);
      await f.registry.connect(f.modelOwner).publishVersion(f.modelId, {
        weightsDigest: d.weightsDigest,
        ioSchemaDigest: d.ioSchemaDigest,
        artifactURI: `ipfs://${await bundleCid(b)}`,
        royalty: 0n,
        minCollateral: 0n,
        modes: modeBit(Mode.TEE),
        zkVerifier: ZeroAddress,
        teeMeasurements: [MEASUREMENT],
      });
      const v = await f.registry.versionCount();
      const png = new Uint8Array(readFileSync("test/fixtures/ocr/img-000.png"));
      const gw = new IpfsGateway();
      await gw.start();
      try {
        const cid = await gw.addFile(png);
        const { jobId } = await f.request({
          mode: Mode.TEE,
          versionId: v,
          inputURI: `ipfs://${cid}`,
          inputDigest: keccak256(png),
        });
        // The bundle from a configured directory (its digests are still checked against the registry).
        const node = await makeNode(f, tempDir(), {
          models: [{ versionId: v, bundle: bundleDir("paddleocr-v4") }],
          gateways: [gw.url],
        });
        const [s] = await node.runOnce();
        await node.stop();
        expect(s).to.include({ jobId, status: "settled" });
        const pipeline = await pipelineFor(b.manifest);
        const out = pipeline.decodeOutput(Buffer.from(s.output!.slice(2), "hex"), b.manifest) as {
          lines: { text: string }[];
        };
        expect(out.lines.map((l) => l.text)).to.deep.equal(["Bridge: 7625"]);
        expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
      } finally {
        await gw.stop();
      }
    });
  });
});
