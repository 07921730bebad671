/**
 * Throughput and latency of the reference node (`VeritasNode`) on Hardhat's in-process chain:
 *   1. how many TEE jobs per second one node settles, with batches of 1, 8 and 16 results per signature: N jobs are
 *      requested first, then the node is started and timed until the last one has settled;
 *   2. the latency from a request being mined to its settlement, per mode (one job at a time, the node polling every
 *      100 ms): TEE (direct fulfil), ZK (Groth16 proof) and optimistic (to the proposal; the result then waits out the
 *      challenge window before anyone can finalize it).
 *
 *   npm run bench:throughput                 # VERITAS_BENCH_JOBS=64 (jobs per throughput run), 3 latency samples
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { id, Wallet, ZeroAddress } from "ethers";
import { Mode } from "../src/constants.js";
import { SimulatedEnclave } from "../src/tee.js";
import { inputCommitment, releaseOnnxSession, releaseSnarkjs, toBytes32 } from "../zk/lib/index.js";
import { bundleDir, materializeBundle } from "../src/models/materialize.js";
import { silentLogger, VeritasNode, type JobSummary, type NodeModeName } from "../src/node/index.js";
import { MEASUREMENT, registerEnclave } from "../test/helpers/fixtures.js";
import { deployOptimisticFixture } from "../test/helpers/optimistic.js";

const JOBS = Number(process.env.VERITAS_BENCH_JOBS ?? 64);
const SAMPLES = Number(process.env.VERITAS_BENCH_SAMPLES ?? 3);

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
const dir = mkdtempSync(path.join(tmpdir(), "veritas-bench-"));
let journals = 0;

const input = (i: number) => Array.from({ length: 8 }, (_, k) => (((i + 1) * 29 + k * 71) % 256) - 128);
async function request(mode: number, versionId: bigint, i: number): Promise<bigint> {
  const now = BigInt(await networkHelpers.time.latest());
  const x = input(i);
  const receipt = await (
    await f.escrow.connect(f.requester).requestInference({
      versionId,
      mode,
      node: ZeroAddress,
      payment: 1_000_000n,
      deliveryWindow: 600n,
      expiresAt: now + 86_400n,
      callbackGasLimit: 0n,
      inputDigest: toBytes32(inputCommitment(x)),
      inputURI: `data:application/json,${JSON.stringify(x)}`,
    })
  ).wait();
  const parsed = receipt!.logs.map((l) => f.escrow.interface.parseLog(l)).find((e) => e?.name === "JobRequested");
  return BigInt(parsed!.args.jobId);
}

materializeBundle("mlp-8x8x3");

function node(modes: NodeModeName[], batch: number) {
  return new VeritasNode(
    {
      contracts: { escrow: f.escrow.target as string },
      models: [
        { versionId: f.versionId, bundle: bundleDir("mlp-8x8x3") },
        { versionId: f.provableVersion, bundle: bundleDir("mlp-8x8x3") },
      ],
      modes,
      journalPath: path.join(dir, `node-${journals++}.jsonl`),
      fromBlock: startBlock,
      pollIntervalMs: 100,
      teeBatchSize: batch,
      teeMaxWaitMs: 0,
    },
    { signer: f.node, provider: ethers.provider, enclave, logger: silentLogger },
  );
}
let startBlock = await ethers.provider.getBlockNumber();

console.log(`Throughput: one TEE node settling ${JOBS} requested jobs (in-process chain, automine)\n`);
const throughput: string[] = [];
for (const batch of [1, 8, 16]) {
  startBlock = (await ethers.provider.getBlockNumber()) + 1;
  const ids: bigint[] = [];
  for (let i = 0; i < JOBS; i++) ids.push(await request(Mode.TEE, f.versionId, i));
  const n = node(["tee"], batch);
  const settled = new Set<bigint>();
  let gas = 0n;
  n.on("job", (j: JobSummary) => {
    if (j.status !== "settled") return;
    settled.add(j.jobId);
    if (j.gasUsed) gas += j.gasUsed / BigInt(j.batchSize ?? 1);
  });
  const t0 = performance.now();
  while (settled.size < JOBS) {
    await n.runOnce();
    if (performance.now() - t0 > 300_000) throw new Error(`only ${settled.size} of ${JOBS} settled in 300 s`);
  }
  const s = (performance.now() - t0) / 1000;
  await n.stop();
  const line = `batch ${String(batch).padStart(2)}: ${JOBS} jobs in ${s.toFixed(2)} s = ${(JOBS / s).toFixed(1)} jobs/s, ${(gas / BigInt(JOBS)).toLocaleString("en-US")} gas/job`;
  throughput.push(line);
  console.log(`  ${line}`);
  for (const j of ids) if ((await f.escrow.jobStatus(j)) !== 3n) throw new Error(`job ${j} not settled`);
}

console.log(`\nLatency: request mined → settled (TEE, ZK) or proposed (optimistic), ${SAMPLES} samples each\n`);
startBlock = (await ethers.provider.getBlockNumber()) + 1;
const live = node(["tee", "zk", "optimistic"], 16);
const seen = new Map<bigint, number>();
live.on("job", (j: JobSummary) => {
  if (j.status === "settled" || j.status === "proposed") seen.set(j.jobId, performance.now());
});
await live.start();
const cases: [string, number, bigint][] = [
  ["TEE", Mode.TEE, f.versionId],
  ["ZK", Mode.ZK, f.versionId],
  ["optimistic (to proposal)", Mode.OPTIMISTIC, f.provableVersion],
];
const latency: string[] = [];
let k = 10_000;
for (const [name, mode, version] of cases) {
  const ms: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const jobId = await request(mode, version, k++);
    const t0 = performance.now();
    while (!seen.has(jobId)) {
      if (performance.now() - t0 > 60_000) throw new Error(`${name} job not served in 60 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    ms.push(seen.get(jobId)! - t0);
  }
  ms.sort((a, b) => a - b);
  const line = `${name.padEnd(24)} median ${(ms[Math.floor(ms.length / 2)] / 1000).toFixed(2)} s (min ${(ms[0] / 1000).toFixed(2)}, max ${(ms.at(-1)! / 1000).toFixed(2)})`;
  latency.push(line);
  console.log(`  ${line}`);
}
const window = (await f.escrow.config()).challengeWindow;
console.log(`  optimistic results settle ${window} s (the challenge window) after the proposal, at the earliest`);
await live.stop();
await releaseOnnxSession();
await releaseSnarkjs();
rmSync(dir, { recursive: true, force: true });
