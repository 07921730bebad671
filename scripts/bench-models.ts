/**
 * Per model bundle (every recipe in models/ whose pipeline this checkout has): the bundle's load time (verify +
 * sessions), inference time per input (the pipeline's `run`, warm), and, through the whole network on Hardhat's
 * in-process chain, the latency from a TEE request (and, for a bundle with a circuit, a ZK request: the node proves it)
 * being mined to its settlement (one job at a time, the node polling every 50 ms, direct fulfil) and the gas of the
 * settling transaction per job.
 *
 *   npm run bench:models                      # VERITAS_BENCH_SAMPLES=5 inputs per model
 */
import { readdirSync, readFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { id, keccak256, Wallet, ZeroAddress } from "ethers";
import { Mode, modeBit } from "../src/constants.js";
import { SimulatedEnclave } from "../src/tee.js";
import { releaseSnarkjs } from "../zk/lib/index.js";
import { IpfsGateway } from "../src/ipfs/gateway.js";
import { materializeBundle, RECIPES_DIR, REPO_ROOT } from "../src/models/materialize.js";
import { getPipeline, pipelineNames } from "../src/models/pipelines/index.js";
import { publishBundleVersion } from "../src/models/publish.js";
import { bundleFiles } from "../src/models/source.js";
import type { LoadedBundle } from "../src/models/types.js";
import { silentLogger, VeritasNode, type JobSummary } from "../src/node/index.js";
import { MEASUREMENT, registerEnclave } from "../test/helpers/fixtures.js";
import { deployOptimisticFixture } from "../test/helpers/optimistic.js";

const SAMPLES = Number(process.env.VERITAS_BENCH_SAMPLES ?? 5);

/** Sample inputs (request bytes) for a bundle, by pipeline. */
function samples(b: LoadedBundle): Uint8Array[] {
  const m = b.manifest;
  if (m.pipeline === "quantized-mlp") {
    const n = m.input.length ?? 8;
    return Array.from({ length: SAMPLES }, (_, i) =>
      new TextEncoder().encode(
        JSON.stringify(Array.from({ length: n }, (_, k) => (((i + 1) * 29 + k * 71) % 256) - 128)),
      ),
    );
  }
  if (m.pipeline === "paddle-ocr") {
    const dir = path.join(REPO_ROOT, "test", "fixtures", "ocr");
    const files = readdirSync(dir)
      .filter((f) => /\.(png|jpe?g)$/i.test(f))
      .sort();
    return files.slice(0, SAMPLES).map((f) => new Uint8Array(readFileSync(path.join(dir, f))));
  }
  const file = path.join(RECIPES_DIR, m.name, "samples.json");
  if (existsSync(file))
    return (JSON.parse(readFileSync(file, "utf8")) as unknown[]).map((v) =>
      new TextEncoder().encode(JSON.stringify(v)),
    );
  return [];
}

const { ethers, networkHelpers } = await network.create();
const f = await deployOptimisticFixture(ethers, networkHelpers);
const service = new Wallet(id("bench-attestation-service"));
await f.tee.connect(f.governance).approveMeasurement(MEASUREMENT, "bench enclave image");
await f.attestation.connect(f.governance).setAttestationSigner(service.address, true);
const enclave = new SimulatedEnclave(MEASUREMENT, new Wallet(id("bench-enclave")));
await registerEnclave(f, service, f.node, enclave);
await f.usd.mint(f.requester.address, 1_000_000_000n);
await f.usd.connect(f.requester).approve(await f.escrow.getAddress(), 1_000_000_000n);
await f.escrow.connect(f.requester).deposit(f.requester.address, 1_000_000_000n);
const gateway = new IpfsGateway();
await gateway.start();
const dir = mkdtempSync(path.join(tmpdir(), "veritas-bench-models-"));

const available = new Set(pipelineNames());
const recipes = readdirSync(RECIPES_DIR)
  .filter((d) => existsSync(path.join(RECIPES_DIR, d, "manifest.json")))
  .sort();
const rows: string[][] = [
  [
    "model",
    "pipeline",
    "bundle",
    "load ms",
    "inference ms",
    "TEE request→settled s",
    "TEE gas/job",
    "ZK request→settled s",
    "ZK gas/job",
    "output B",
  ],
];
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/**
 * Publishes `bundle` (at ipfs://cid) as a `mode` version, runs one node on it and requests every input one at a time:
 * the median latency from a request being mined to its settlement (the first job, which also loads the bundle, left
 * out) and the mean gas of the settling transaction.
 */
async function throughNetwork(
  name: string,
  bundle: LoadedBundle,
  cid: string,
  inputs: Uint8Array[],
  mode: number,
  zkVerifier?: string,
): Promise<{ latency: number; gas: bigint }> {
  const versionId = await publishBundleVersion(f.registry, f.modelOwner, f.modelId, bundle.manifest, `ipfs://${cid}`, {
    modes: modeBit(mode),
    ...(mode === Mode.ZK ? { zkVerifier } : { teeMeasurements: [MEASUREMENT] }),
  });
  const pipeline = await getPipeline(bundle.manifest.pipeline);
  const node = new VeritasNode(
    {
      contracts: { escrow: await f.escrow.getAddress() },
      models: [{ versionId }],
      gateways: [gateway.url],
      modes: [mode === Mode.ZK ? "zk" : "tee"],
      journalPath: path.join(dir, `${name}-${mode}.jsonl`),
      fromBlock: await ethers.provider.getBlockNumber(),
      pollIntervalMs: 50,
      teeBatchSize: 1,
      teeMaxWaitMs: 0,
    },
    { signer: f.node, provider: ethers.provider, enclave, logger: silentLogger },
  );
  const settled = new Map<bigint, JobSummary & { at: number }>();
  node.on("job", (j: JobSummary) => {
    if (j.status === "settled") settled.set(j.jobId, { ...j, at: performance.now() });
  });
  await node.start();
  const latencies: number[] = [];
  const gas: bigint[] = [];
  for (const [i, x] of [inputs[0], ...inputs].entries()) {
    const uri = await gateway.addFile(x);
    const now = BigInt(await networkHelpers.time.latest());
    const receipt = await (
      await f.escrow.connect(f.requester).requestInference({
        versionId,
        mode,
        node: ZeroAddress,
        payment: 1_000_000n,
        deliveryWindow: 600n,
        expiresAt: now + 86_400n,
        callbackGasLimit: 0n,
        inputDigest: mode === Mode.ZK ? pipeline.zkInputDigest!(x, bundle.manifest) : keccak256(x),
        inputURI: `ipfs://${uri}`,
      })
    ).wait();
    const t = performance.now();
    const jobId = BigInt(
      receipt!.logs.map((l) => f.escrow.interface.parseLog(l)).find((e) => e?.name === "JobRequested")!.args.jobId,
    );
    while (!settled.has(jobId)) {
      if (performance.now() - t > 120_000) throw new Error(`${name}: job ${i} not settled in 120 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    if (i === 0) continue;
    latencies.push((settled.get(jobId)!.at - t) / 1000);
    gas.push(settled.get(jobId)!.gasUsed!);
  }
  await node.stop();
  return { latency: median(latencies), gas: gas.reduce((a, b) => a + b, 0n) / BigInt(gas.length) };
}

for (const name of recipes) {
  const manifest = JSON.parse(readFileSync(path.join(RECIPES_DIR, name, "manifest.json"), "utf8"));
  if (!available.has(manifest.pipeline)) {
    console.log(`${name}: pipeline ${manifest.pipeline} not in this checkout, skipped`);
    continue;
  }
  let bundle: LoadedBundle;
  try {
    bundle = materializeBundle(name);
  } catch (e) {
    console.log(`${name}: ${(e as Error).message}, skipped`);
    continue;
  }
  const inputs = samples(bundle);
  if (inputs.length === 0) {
    console.log(`${name}: no sample inputs, skipped`);
    continue;
  }
  const size = Object.values(bundle.files).reduce((a, b) => a + b.length, 0);
  // Load and inference, outside the chain.
  const pipeline = await getPipeline(bundle.manifest.pipeline);
  const t0 = performance.now();
  pipeline.validate(bundle.manifest);
  const runner = await pipeline.load(bundle);
  const loadMs = performance.now() - t0;
  await runner.run(inputs[0]); // warm-up
  const inferMs: number[] = [];
  let outBytes = 0;
  for (const x of inputs) {
    const t = performance.now();
    outBytes = Math.max(outBytes, (await runner.run(x)).length);
    inferMs.push(performance.now() - t);
  }
  await runner.release();

  // Through the network: publish a version from the gateway, one node, one job at a time.
  const cid = await gateway.addDirectory(bundleFiles(bundle));
  const tee = await throughNetwork(name, bundle, cid, inputs, Mode.TEE);
  let zk: { latency: number; gas: bigint } | undefined;
  if (bundle.manifest.zk) {
    const report = path.join(RECIPES_DIR, name, "report.json");
    const contract = existsSync(report)
      ? JSON.parse(readFileSync(report, "utf8")).verifierContract
      : "MlpGroth16Verifier";
    const verifier = await ethers.deployContract(contract, [], f.deployer);
    zk = await throughNetwork(name, bundle, cid, inputs, Mode.ZK, await verifier.getAddress());
  }
  rows.push([
    name,
    bundle.manifest.pipeline,
    `${(size / 1e6).toFixed(2)} MB`,
    loadMs.toFixed(0),
    median(inferMs).toFixed(1),
    tee.latency.toFixed(2),
    tee.gas.toLocaleString("en-US"),
    zk ? zk.latency.toFixed(2) : "-",
    zk ? zk.gas.toLocaleString("en-US") : "-",
    String(outBytes),
  ]);
}
await gateway.stop();
await releaseSnarkjs();
rmSync(dir, { recursive: true, force: true });

console.log(`\nModels (${SAMPLES} inputs each; medians; in-process chain, direct fulfil, node polling every 50 ms)\n`);
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const [n, r] of rows.entries()) {
  console.log("  " + r.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  "));
  if (n === 0) console.log("  " + widths.map((w) => "-".repeat(w)).join("  "));
}
