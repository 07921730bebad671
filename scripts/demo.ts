/**
 * The main job: the whole Veritas network on one machine. Deploys the suite, publishes the reference ONNX model,
 * starts an honest TEE node, an honest ZK node (which also serves optimistic jobs), a DISHONEST optimistic node
 * (`faults.wrongOutput`) and a watcher, runs a mix of jobs from three requesters, and shows every job settled with its
 * verification, the dishonest node challenged, proven wrong by a ZK proof and slashed, and the watcher paid. Ends with
 * a table and the final balances, checked against the fee split. Then a real pretrained model, PaddleOCR v4, served from
 * a local IPFS gateway: TEE and optimistic OCR jobs on real PNG images, a wrong OCR proposal by the dishonest node
 * challenged by the watcher and ruled wrong by the arbitrator (OCR has no ZK proof). Exits non-zero if anything differs.
 *
 *   npm run demo                          # Hardhat's in-process chain
 *   npm run demo -- --rpc http://127.0.0.1:8545   # any JSON-RPC dev chain with unlocked accounts (hardhat node, anvil)
 *
 * (`scripts/run-demo.ts` turns `--rpc URL` into `VERITAS_LOCAL_RPC=URL hardhat run --network localhost`.) Challenge
 * windows and the governance delay are skipped with `evm_increaseTime` (networkHelpers), on either kind of chain.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { formatUnits, id, keccak256, Wallet, ZeroAddress, type Signer } from "ethers";
import { BPS, JobStatus, Mode, modeBit } from "../src/constants.js";
import { deploySuite, LOCAL_PARAMS } from "../deploy/suite.js";
import { viaTimelock } from "./lib/governance.js";
import { attestationDomain, signAttestation, SimulatedEnclave } from "../src/tee.js";
import { decodeOutput, inputCommitment, releaseSnarkjs, toBytes32 } from "../zk/lib/index.js";
import { IpfsGateway } from "../src/ipfs/gateway.js";
import { versionDigests } from "../src/models/bundle.js";
import { materializeBundle, REPO_ROOT } from "../src/models/materialize.js";
import { publishBundleVersion } from "../src/models/publish.js";
import { pipelineFor } from "../src/models/pipelines/index.js";
import { bundleFiles } from "../src/models/source.js";
import { VERIFIER_CONTRACT_NAME } from "../zk/lib/verifier-export.js";
import { VeritasClient, type VerifiedResult } from "../src/client.js";
import { feeSplitOf } from "../src/jobs.js";
import { VeritasNode, type JobSummary, type Logger, type NodeConfig } from "../src/node/index.js";
import { Watcher, type WatchedJob } from "../src/node/watcher.js";
import type { VeritasTimelock } from "../typechain-types/index.js";

const started = Date.now();
const { ethers, networkHelpers } = await network.create();
const rpc = process.env.VERITAS_LOCAL_RPC;
const signers = await ethers.getSigners();
if (signers.length < 10) throw new Error(`the demo needs 10 unlocked accounts; the chain has ${signers.length}`);
const [deployer, treasury, modelOwner, teeOp, zkOp, badOp, watcherAcct, ...requesters] = signers.slice(0, 10);
const chainId = (await ethers.provider.getNetwork()).chainId;
/** Rules on disputes no ZK proof can settle (OCR): the deployer's account stands in for an arbitration committee. */
const arbitrator = deployer;

const usd = (v: bigint) => `${formatUnits(v, 6)} mUSD`;
const vrt = (v: bigint) => `${formatUnits(v, 18)} VRT`;
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const say = (line: string) => console.log(`${elapsed()}  ${line}`);
const failures: string[] = [];
function check(what: string, actual: unknown, expected: unknown) {
  const ok = actual === expected;
  if (!ok) failures.push(`${what}: got ${String(actual)}, expected ${String(expected)}`);
  console.log(`        ${ok ? "✔" : "✘"} ${what}: ${ok ? String(expected) : `got ${actual}, expected ${expected}`}`);
}

console.log(
  `Veritas demo: the network on one machine (${rpc ? `JSON-RPC chain at ${rpc}` : "Hardhat in-process chain"})`,
);
console.log("The enclave is SIMULATED: an ordinary key in this process stands in for a Nitro/TDX enclave key.\n");

// ---------------------------------------------------------------------------------------------------- deploy
say("deploying governance (a timelock) and the suite");
const timelock = (await ethers.deployContract(
  "VeritasTimelock",
  [3600n, [deployer.address], [ZeroAddress], ZeroAddress],
  deployer,
)) as unknown as VeritasTimelock;
const s = await deploySuite(ethers, deployer, {
  ...LOCAL_PARAMS(await timelock.getAddress(), treasury.address, deployer.address),
  dispute: { arbitrator: arbitrator.address },
});
const deployedAtBlock = await ethers.provider.getBlockNumber();
const escrowAddress = await s.escrow.getAddress();
say(`escrow ${escrowAddress}, dispute manager ${await s.disputes.getAddress()}`);

say("governance approves the enclave image and an attestation service (timelock: scheduled, 1 h, executed)");
const MEASUREMENT = id("veritas-reference-enclave-image");
const attestationService = new Wallet(id("demo-attestation-service"));
await viaTimelock(
  timelock,
  deployer,
  [
    {
      target: await s.tee.getAddress(),
      data: s.tee.interface.encodeFunctionData("approveMeasurement", [MEASUREMENT, "reference enclave image"]),
    },
    {
      target: await s.attestation.getAddress(),
      data: s.attestation.interface.encodeFunctionData("setAttestationSigner", [attestationService.address, true]),
    },
  ],
  networkHelpers,
);

// ---------------------------------------------------------------------------------------------------- model
const gateway = new IpfsGateway();
await gateway.start();
say(`a local IPFS gateway serves the model bundles and inputs at ${gateway.url}`);
say("model owner publishes the reference model bundle (quantized MLP 8→8→3) for TEE, ZK and optimistic jobs");
const mlpBundle = materializeBundle("mlp-8x8x3");
const mlpCid = await gateway.addDirectory(bundleFiles(mlpBundle));
const mlpDigests = versionDigests(mlpBundle.manifest);
say(
  `  bundle ipfs://${mlpCid} (manifest + ONNX + circuit), weights commitment ${mlpDigests.weightsDigest.slice(0, 12)}…`,
);
const groth16 = await ethers.deployContract(VERIFIER_CONTRACT_NAME, [], deployer);
const ROYALTY = 50_000n; // 0.05 mUSD per inference
const MIN_COLLATERAL = 100n * 10n ** 18n;
await (await s.registry.connect(modelOwner).createModel("ipfs://veritas-reference-mlp/model-card.json")).wait();
await (
  await s.registry.connect(modelOwner).publishVersion(1n, {
    weightsDigest: mlpDigests.weightsDigest,
    ioSchemaDigest: mlpDigests.ioSchemaDigest,
    artifactURI: `ipfs://${mlpCid}`,
    royalty: ROYALTY,
    minCollateral: MIN_COLLATERAL,
    modes: modeBit(Mode.TEE) | modeBit(Mode.ZK) | modeBit(Mode.OPTIMISTIC),
    zkVerifier: await groth16.getAddress(),
    teeMeasurements: [MEASUREMENT],
  })
).wait();

// ---------------------------------------------------------------------------------------------------- nodes
const STAKE = 10_000n * 10n ** 18n;
const names = new Map<string, string>([
  [teeOp.address, "tee-node"],
  [zkOp.address, "zk-node"],
  [badOp.address, "bad-node"],
  [watcherAcct.address, "watcher"],
  [deployer.address, "arbitrator"],
]);
const nameOf = (a: string) => names.get(a) ?? a.slice(0, 10);
async function registerNode(op: Signer & { address: string }, modes: number[]) {
  await (
    await s.staking.connect(op).registerNode(
      `https://${nameOf(op.address)}.example`,
      modes.reduce((m, x) => m | modeBit(x), 0),
    )
  ).wait();
  await (await s.token.connect(deployer).transfer(op.address, STAKE)).wait();
  await (await s.token.connect(op).approve(await s.staking.getAddress(), STAKE)).wait();
  await (await s.staking.connect(op).stake(op.address, STAKE)).wait();
}
say("three operators register and stake 10,000 VRT each; the TEE node registers its enclave key with an attestation");
await registerNode(teeOp, [Mode.TEE]);
await registerNode(zkOp, [Mode.ZK, Mode.OPTIMISTIC]);
await registerNode(badOp, [Mode.OPTIMISTIC]);
const enclave = new SimulatedEnclave(MEASUREMENT);
const keyExpiry = BigInt(await networkHelpers.time.latest()) + 30n * 86400n;
const attestation = await signAttestation(
  attestationService,
  attestationDomain(chainId, await s.attestation.getAddress()),
  await s.tee.getAddress(),
  teeOp.address,
  enclave.address,
  MEASUREMENT,
  keyExpiry,
);
await (await s.tee.connect(teeOp).registerEnclaveKey(enclave.address, MEASUREMENT, keyExpiry, attestation)).wait();

const dir = mkdtempSync(path.join(tmpdir(), "veritas-demo-"));
/** Node logs: warnings (the simulated enclave, the fault hook) and errors only, one line each. */
const lineLogger = (who: string): Logger => ({
  debug() {},
  info() {},
  warn: (msg, f) =>
    say(
      `[${who}] WARN ${msg}${f?.jobId !== undefined ? ` (job ${short(BigInt(String(f.jobId)))})` : ""}` +
        (f?.error ? `: ${String(f.error)}` : ""),
    ),
  error: (msg, f) =>
    say(`[${who}] ERROR ${msg} ${JSON.stringify(f ?? {}, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`),
});
const base = (journal: string): Omit<NodeConfig, "modes"> => ({
  contracts: { escrow: escrowAddress },
  // No local files: each node fetches the bundle named by the version's artifactURI from the gateway, verifies it
  // against its CID and the registry's digests, and only then serves the version.
  models: [{ versionId: 1n }],
  gateways: [gateway.url],
  journalPath: path.join(dir, journal),
  fromBlock: deployedAtBlock,
  pollIntervalMs: 250,
  teeBatchSize: 8,
  teeMaxWaitMs: 1_000,
});
const nodes = [
  new VeritasNode(
    { ...base("tee.jsonl"), modes: ["tee"] },
    { signer: teeOp, provider: ethers.provider, enclave, logger: lineLogger("tee-node") },
  ),
  new VeritasNode(
    { ...base("zk.jsonl"), modes: ["zk", "optimistic"] },
    { signer: zkOp, provider: ethers.provider, logger: lineLogger("zk-node") },
  ),
  new VeritasNode(
    { ...base("bad.jsonl"), modes: ["optimistic"], faults: { wrongOutput: true } },
    { signer: badOp, provider: ethers.provider, logger: lineLogger("bad-node") },
  ),
];
const watcher = new Watcher(
  {
    escrow: escrowAddress,
    fromBlock: deployedAtBlock,
    journalPath: path.join(dir, "watcher.jsonl"),
    pollInterval: 250,
    gateways: [gateway.url],
  },
  { signer: watcherAcct, logger: lineLogger("watcher") },
);
await s.usd.mint(watcherAcct.address, 10_000_000n); // bonds

// ---------------------------------------------------------------------------------------------------- requests
type Planned = { mode: number; node?: string };
const plan: Planned[] = [
  ...Array.from({ length: 12 }, () => ({ mode: Mode.TEE })),
  ...Array.from({ length: 4 }, () => ({ mode: Mode.ZK })),
  ...Array.from({ length: 4 }, () => ({ mode: Mode.OPTIMISTIC, node: zkOp.address })),
  ...Array.from({ length: 2 }, () => ({ mode: Mode.OPTIMISTIC, node: badOp.address })),
];
const PAYMENT = 1_000_000n;
const DEPOSIT = 20_000_000n;
say(`${requesters.length} requesters deposit ${usd(DEPOSIT)} each into the escrow`);
for (const r of requesters) {
  await (await s.usd.mint(r.address, DEPOSIT)).wait();
  await (await s.usd.connect(r).approve(escrowAddress, DEPOSIT)).wait();
  await (await s.escrow.connect(r).deposit(r.address, DEPOSIT)).wait();
}
const summaries = new Map<bigint, JobSummary>();
/** Wall-clock ms when each job's request was mined and when its settlement (or refund) was seen. */
const requestedWall = new Map<bigint, number>();
const settledWall = new Map<bigint, number>();
const judged = new Set<bigint>();
const watched = new Map<bigint, WatchedJob>();
/** Short names of jobs for log lines: `#n` in the order requested (OCR jobs get theirs when requested). */
const labels = new Map<bigint, string>();
const short = (jobId: bigint) => labels.get(jobId) ?? `#${ids.indexOf(jobId) + 1}`;
const ids: bigint[] = [];
const MODE_NAME: Record<number, string> = { [Mode.TEE]: "TEE", [Mode.ZK]: "ZK", [Mode.OPTIMISTIC]: "optimistic" };
for (const [i, n] of nodes.entries()) {
  const who = ["tee-node", "zk-node", "bad-node"][i];
  n.on("job", (j: JobSummary) => {
    if (j.status === "skipped") return;
    summaries.set(j.jobId, j);
    if (j.status === "settled") settledWall.set(j.jobId, Date.now());
    const out = j.output ? `label ${decodeOutput(j.output).label}` : "";
    const batch = j.batchSize && j.batchSize > 1 ? ` (batch of ${j.batchSize})` : "";
    say(
      `[${who}] job ${short(j.jobId)} ${j.mode} ${j.status}${out ? `: ${out}` : ""}${batch}${j.gasUsed ? `, ${j.gasUsed.toLocaleString("en-US")} gas` : ""}`,
    );
  });
}
watcher.on("checked", (w: WatchedJob) => {
  judged.add(w.jobId);
  say(`[watcher] job ${short(w.jobId)} re-executed: ${w.state}${w.reason ? ` (${w.reason})` : ""}`);
});
watcher.on("challenged", (w: WatchedJob) => {
  watched.set(w.jobId, w);
  say(`[watcher] job ${short(w.jobId)} proposal by ${nameOf(w.node)} is WRONG: challenged with a ${usd(w.bond!)} bond`);
});
watcher.on("resolved", (w: WatchedJob) => {
  watched.set(w.jobId, w);
  judged.add(w.jobId);
  settledWall.set(w.jobId, Date.now());
  say(`[watcher] job ${short(w.jobId)} dispute resolved by ZK proof: ${w.ruling}, ${nameOf(w.node)} slashed`);
});
watcher.on("collected", (c: { rewards: bigint; withdrawn: bigint }) =>
  say(`[watcher] claimed ${vrt(c.rewards)} slash reward, withdrew its ${usd(c.withdrawn)} bond`),
);

say("starting the nodes and the watcher");
for (const n of nodes) await n.start();
watcher.start();

const inputs = plan.map((_, i) => Array.from({ length: 8 }, (_, k) => (((i + 3) * 37 + k * 53) % 256) - 128));
say(`requesting ${plan.length} jobs: 12 TEE, 4 ZK, 4 optimistic for zk-node, 2 optimistic for bad-node`);
const now = BigInt(await networkHelpers.time.latest());
for (const [i, p] of plan.entries()) {
  const r = requesters[i % requesters.length];
  const receipt = await (
    await s.escrow.connect(r).requestInference({
      versionId: 1n,
      mode: p.mode,
      node: p.node ?? ZeroAddress,
      payment: PAYMENT,
      deliveryWindow: 600n,
      expiresAt: now + 86_400n,
      callbackGasLimit: 0n,
      inputDigest: toBytes32(inputCommitment(inputs[i])),
      inputURI: `data:application/json,${JSON.stringify(inputs[i])}`,
    })
  ).wait();
  const parsed = receipt!.logs.map((l) => s.escrow.interface.parseLog(l)).find((e) => e?.name === "JobRequested");
  ids.push(BigInt(parsed!.args.jobId));
  requestedWall.set(ids.at(-1)!, Date.now());
}
say(`all ${ids.length} requested`);

// ---------------------------------------------------------------------------------------------------- wait
const TIMEOUT_MS = 150_000;
const status = async (jobId: bigint) => Number(await s.escrow.jobStatus(jobId));
async function until(what: string, ok: () => Promise<boolean>) {
  while (!(await ok())) {
    if (Date.now() - started > TIMEOUT_MS) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
const honestOptimistic = ids.filter((_, i) => plan[i].mode === Mode.OPTIMISTIC && plan[i].node === zkOp.address);
const dishonest = ids.filter((_, i) => plan[i].node === badOp.address);
const verifiedAtOnce = ids.filter((_, i) => plan[i].mode !== Mode.OPTIMISTIC);
let failed: unknown;
try {
  await until("the TEE and ZK jobs to settle, and the optimistic ones to be proposed or disputed away", async () => {
    for (const j of verifiedAtOnce) if ((await status(j)) !== JobStatus.Settled) return false;
    for (const j of honestOptimistic) if ((await status(j)) !== JobStatus.Proposed) return false;
    for (const j of dishonest) if ((await status(j)) !== JobStatus.Refunded) return false;
    if (!honestOptimistic.every((j) => judged.has(j))) return false; // the watcher re-ran every proposal
    return watched.size === dishonest.length && [...watched.values()].every((w) => w.state === "resolved");
  });
  const window = (await s.escrow.config()).challengeWindow;
  say(`the honest proposals stand unchallenged: skipping the ${window} s challenge window (evm_increaseTime)`);
  await networkHelpers.time.increase(window + 1n);
  await until("zk-node to finalize its proposals", async () => {
    for (const j of honestOptimistic) if ((await status(j)) !== JobStatus.Settled) return false;
    return true;
  });
} catch (e) {
  failed = e;
}
say("stopping the nodes and the watcher; the nodes withdraw their earnings");
await watcher.stop();
for (const n of nodes) await n.stop();
if (failed) {
  console.error(`\nDemo FAILED: ${failed instanceof Error ? failed.message : String(failed)}`);
  for (const [i, j] of ids.entries()) console.error(`  job #${i + 1}: status ${await status(j)}`);
  rmSync(dir, { recursive: true, force: true });
  await gateway.stop();
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------------- results
const client = await VeritasClient.connect(ethers.provider, {
  addresses: { escrow: escrowAddress, registry: await s.registry.getAddress(), tee: await s.tee.getAddress() },
  fromBlock: deployedAtBlock,
});
console.log(
  "\nJobs (seconds: wall clock from the request to its settlement; optimistic ones also waited out a 1 h challenge" +
    " window, skipped with evm_increaseTime)\n",
);
const wallSeconds = (jobId: bigint) =>
  settledWall.has(jobId) ? ((settledWall.get(jobId)! - requestedWall.get(jobId)!) / 1000).toFixed(1) : "?";
const rows: string[][] = [["job", "mode", "node", "result", "verified by", "gas", "seconds"]];
const results = new Map<bigint, VerifiedResult>();
for (const [i, jobId] of ids.entries()) {
  const mode = MODE_NAME[plan[i].mode];
  const summary = summaries.get(jobId);
  if (dishonest.includes(jobId)) {
    const info = await client.getJob(jobId);
    const w = watched.get(jobId)!;
    rows.push([
      `#${i + 1}`,
      mode,
      "bad-node",
      `refunded (${info.ruling})`,
      `challenged, ZK proof ${w.resolveTx!.slice(0, 10)}…`,
      "-",
      wallSeconds(jobId),
    ]);
    continue;
  }
  const r = await client.waitForVerifiedResult(jobId, { timeout: 5_000 });
  results.set(jobId, r);
  const v = r.verification;
  const how =
    v.mode === "TEE"
      ? `enclave ${v.enclaveKey?.slice(0, 10)}…${v.batchSize > 1 ? ` (batch ${v.batchSize})` : ""}`
      : v.mode === "ZK"
        ? `Groth16 proof ${v.transactionHash.slice(0, 10)}…`
        : `finalize ${v.transactionHash.slice(0, 10)}…`;
  const gas = summary?.gasUsed
    ? summary.batchSize && summary.batchSize > 1
      ? `${(summary.gasUsed / BigInt(summary.batchSize)).toLocaleString("en-US")}/job`
      : summary.gasUsed.toLocaleString("en-US")
    : "-";
  rows.push([
    `#${i + 1}`,
    mode,
    nameOf(r.node),
    `label ${decodeOutput(r.output).label}`,
    how,
    gas,
    wallSeconds(jobId) + (v.mode === "OPTIMISTIC" ? " +1h" : ""),
  ]);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
for (const [n, row] of rows.entries()) {
  console.log("  " + row.map((cell, c) => (c >= 5 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  "));
  if (n === 0) console.log("  " + widths.map((w) => "-".repeat(w)).join("  "));
}

// ---------------------------------------------------------------------------------------------------- checks
console.log("\nChecks");
const settledIds = [...results.keys()];
for (const j of ids) {
  const expected = dishonest.includes(j) ? JobStatus.Refunded : JobStatus.Settled;
  if ((await status(j)) !== expected) check(`job ${short(j)} status`, await status(j), expected);
}
check("jobs settled with a verified result", settledIds.length, ids.length - dishonest.length);
check(
  "settled by tee-node (TEE)",
  settledIds.filter((j) => results.get(j)!.node === teeOp.address && results.get(j)!.mode === "TEE").length,
  12,
);
check(
  "settled by zk-node with a ZK proof",
  settledIds.filter((j) => results.get(j)!.verification.mode === "ZK").length,
  4,
);
check(
  "optimistic results finalized after an unchallenged window",
  settledIds.filter((j) => {
    const v = results.get(j)!.verification;
    return v.mode === "OPTIMISTIC" && v.settledBy === "finalize";
  }).length,
  4,
);
check(
  "TEE results signed by the registered enclave key",
  settledIds.filter((j) => {
    const v = results.get(j)!.verification;
    return v.mode === "TEE" && v.enclaveKey === enclave.address;
  }).length,
  12,
);
check(
  "dishonest proposals challenged and resolved NodeWrong by a ZK proof",
  dishonest.filter((j) => watched.get(j)?.ruling === "NodeWrong").length,
  dishonest.length,
);

const job0 = (await client.getJob(ids[0])).job;
const collateral = (await client.getJob(dishonest[0])).job.collateral;
const { nodeFee, protocolFee } = feeSplitOf(job0);
const slash = collateral * BigInt(dishonest.length);
const reward = ((collateral * 5_000n) / BPS) * BigInt(dishonest.length);
check("bad-node stake after the slash", await s.staking.totalStakeOf(badOp.address), STAKE - slash);
check(
  "honest nodes' stake intact",
  (await s.staking.totalStakeOf(teeOp.address)) + (await s.staking.totalStakeOf(zkOp.address)),
  2n * STAKE,
);
check(
  "no collateral left locked",
  (await s.escrow.lockedCollateral(teeOp.address)) +
    (await s.escrow.lockedCollateral(zkOp.address)) +
    (await s.escrow.lockedCollateral(badOp.address)),
  0n,
);

say(
  "everyone withdraws: nodes their fees, the model owner its royalties, the treasury fees and slash share, requesters the rest",
);
for (const n of nodes) await n.withdrawEarnings();
await (await s.escrow.connect(modelOwner).withdrawRoyalties(1n, modelOwner.address)).wait();
await (await s.escrow.connect(deployer).collectProtocolFees([1n])).wait();
await (await s.staking.connect(treasury).claimRewards(treasury.address)).wait();
for (const r of requesters)
  await (await s.escrow.connect(r).withdraw(await s.escrow.balanceOf(r.address), r.address)).wait();

const count = (addr: string) => BigInt(settledIds.filter((j) => results.get(j)!.node === addr).length);
const settledOf = (r: string) =>
  BigInt(
    settledIds.filter((j) => ids.indexOf(j) % requesters.length === requesters.findIndex((x) => x.address === r))
      .length,
  );
console.log("\nFinal balances");
const balances: [string, string, bigint, bigint][] = [
  ["tee-node", teeOp.address, nodeFee * count(teeOp.address), 0n],
  ["zk-node", zkOp.address, nodeFee * count(zkOp.address), 0n],
  ["bad-node", badOp.address, 0n, 0n],
  ["watcher", watcherAcct.address, 10_000_000n, reward],
  ["model owner", modelOwner.address, ROYALTY * BigInt(settledIds.length), 0n],
  ["treasury", treasury.address, protocolFee * BigInt(settledIds.length), slash - reward],
  ...requesters.map((r, k): [string, string, bigint, bigint] => [
    `requester ${k + 1}`,
    r.address,
    DEPOSIT - PAYMENT * settledOf(r.address),
    0n,
  ]),
  ["escrow", escrowAddress, 0n, 0n],
];
for (const [who, addr, expectedUsd, expectedVrt] of balances) {
  const [u, t] = [await s.usd.balanceOf(addr), await s.token.balanceOf(addr)];
  console.log(
    `  ${who.padEnd(12)} ${usd(u).padStart(16)}  ${vrt(t).padStart(18)}  staked ${vrt(await s.staking.totalStakeOf(addr))}`,
  );
  if (u !== expectedUsd) check(`${who} mUSD`, u, expectedUsd);
  if (t !== expectedVrt) check(`${who} VRT`, t, expectedVrt);
}
check("every balance matches the fee split, the refunds and the slash split", failures.length, 0);

// ---------------------------------------------------------------------------------------------------- a real model
say(
  "model owner publishes a real pretrained model: PaddleOCR v4 (detection + recognition ONNX, 15.6 MB), TEE and optimistic",
);
const ocrBundle = materializeBundle("paddleocr-v4");
const ocrCid = await gateway.addDirectory(bundleFiles(ocrBundle));
await (await s.registry.connect(modelOwner).createModel("ipfs://veritas-paddleocr-v4/model-card.json")).wait();
const ocrVersion = await publishBundleVersion(
  s.registry,
  modelOwner,
  await s.registry.modelCount(),
  ocrBundle.manifest,
  `ipfs://${ocrCid}`,
  { modes: modeBit(Mode.TEE) | modeBit(Mode.OPTIMISTIC), teeMeasurements: [MEASUREMENT] },
);
say(`  bundle ipfs://${ocrCid}, version ${ocrVersion}; OCR has no ZK circuit, so its disputes go to the arbitrator`);
const ocrFrom = await ethers.provider.getBlockNumber();
const ocrBase = (journal: string) => ({ ...base(journal), models: [{ versionId: ocrVersion }], fromBlock: ocrFrom });
const ocrNodes = [
  new VeritasNode(
    { ...ocrBase("ocr-tee.jsonl"), modes: ["tee"] },
    { signer: teeOp, provider: ethers.provider, enclave, logger: lineLogger("tee-node") },
  ),
  new VeritasNode(
    { ...ocrBase("ocr-zk.jsonl"), modes: ["optimistic"] },
    { signer: zkOp, provider: ethers.provider, logger: lineLogger("zk-node") },
  ),
  new VeritasNode(
    { ...ocrBase("ocr-bad.jsonl"), modes: ["optimistic"], faults: { wrongOutput: true } },
    { signer: badOp, provider: ethers.provider, logger: lineLogger("bad-node") },
  ),
];
// The watcher re-runs every OCR proposal from the bundle it fetched by CID; the appointed arbitrator (here the
// deployer's account stands in for an arbitration committee) re-runs the disputed ones and rules.
const ocrWatcher = new Watcher(
  { escrow: escrowAddress, fromBlock: ocrFrom, gateways: [gateway.url], collectRewards: false },
  { signer: watcherAcct, logger: lineLogger("watcher") },
);
const ocrArbitrator = new Watcher(
  { escrow: escrowAddress, fromBlock: ocrFrom, gateways: [gateway.url], arbitrate: true, challenge: false },
  { signer: arbitrator, logger: lineLogger("arbitrator") },
);
type OcrJob = { file: string; mode: number; node?: string };
const ocrPlan: OcrJob[] = [
  { file: "img-000.png", mode: Mode.TEE },
  { file: "img-017.png", mode: Mode.TEE },
  { file: "img-047.png", mode: Mode.TEE },
  { file: "img-001.png", mode: Mode.OPTIMISTIC, node: zkOp.address },
  { file: "img-020.png", mode: Mode.OPTIMISTIC, node: zkOp.address },
  { file: "img-031.png", mode: Mode.OPTIMISTIC, node: badOp.address },
];
const truthOcr = JSON.parse(
  readFileSync(path.join(REPO_ROOT, "test", "fixtures", "ocr", "ground-truth.json"), "utf8"),
) as Record<string, { lines: string[] }>;
const ocrJobs = new Map<bigint, OcrJob>();
const ocrRequester = requesters[0];
const ocrTotal = PAYMENT * BigInt(ocrPlan.length);
await (await s.usd.mint(ocrRequester.address, ocrTotal)).wait();
await (await s.usd.connect(ocrRequester).approve(escrowAddress, ocrTotal)).wait();
await (await s.escrow.connect(ocrRequester).deposit(ocrRequester.address, ocrTotal)).wait();
const ocrNow = BigInt(await networkHelpers.time.latest());
for (const j of ocrPlan) {
  const png = new Uint8Array(readFileSync(path.join(REPO_ROOT, "test", "fixtures", "ocr", j.file)));
  const inputCid = await gateway.addFile(png);
  const receipt = await (
    await s.escrow.connect(ocrRequester).requestInference({
      versionId: ocrVersion,
      mode: j.mode,
      node: j.node ?? ZeroAddress,
      payment: PAYMENT,
      deliveryWindow: 600n,
      expiresAt: ocrNow + 86_400n,
      callbackGasLimit: 0n,
      inputDigest: keccak256(png),
      inputURI: `ipfs://${inputCid}`,
    })
  ).wait();
  const parsed = receipt!.logs.map((l) => s.escrow.interface.parseLog(l)).find((e) => e?.name === "JobRequested");
  ocrJobs.set(BigInt(parsed!.args.jobId), j);
  labels.set(BigInt(parsed!.args.jobId), `#${ids.length + ocrJobs.size}`);
}
say(`requested ${ocrJobs.size} OCR jobs on PNG images from ipfs://: 3 TEE, 2 optimistic for zk-node, 1 for bad-node`);
const ocrName = (jobId: bigint) => `${short(jobId)} ${ocrJobs.get(jobId)!.file}`;
const ocrPipeline = await pipelineFor(ocrBundle.manifest);
const ocrText = (hex: string) =>
  (
    ocrPipeline.decodeOutput(Buffer.from(hex.slice(2), "hex"), ocrBundle.manifest) as {
      lines: { text: string; confidence: number }[];
    }
  ).lines;
const ocrBad = [...ocrJobs].filter(([, j]) => j.node === badOp.address).map(([id]) => id);
const ocrHonestOptimistic = [...ocrJobs].filter(([, j]) => j.node === zkOp.address).map(([id]) => id);
const ocrStatuses = () => Promise.all([...ocrJobs.keys()].map(async (j) => [j, await status(j)] as const));
const ocrRulings = new Map<bigint, WatchedJob>();
const ocrChallenged = new Set<bigint>();
for (let round = 0; round < 8; round++) {
  for (const n of ocrNodes) await n.runOnce();
  for (const w of await ocrWatcher.runOnce()) {
    if (w.state === "challenged") {
      ocrChallenged.add(w.jobId);
      say(`[watcher] OCR job ${ocrName(w.jobId)}: proposal by ${nameOf(w.node)} is WRONG, challenged`);
    } else say(`[watcher] OCR job ${ocrName(w.jobId)} re-executed: ${w.state}`);
  }
  for (const w of await ocrArbitrator.runOnce()) {
    ocrRulings.set(w.jobId, w);
    say(`[arbitrator] OCR job ${ocrName(w.jobId)} re-run and ruled ${w.ruling}: ${nameOf(w.node)} slashed`);
  }
  const st = new Map(await ocrStatuses());
  const proposedOrDone = ocrHonestOptimistic.every((j) => st.get(j) === JobStatus.Proposed);
  if (proposedOrDone && ocrBad.every((j) => st.get(j) === JobStatus.Refunded)) break;
}
const ocrWindow = (await s.escrow.config()).challengeWindow;
say(`the honest OCR proposals stand unchallenged: skipping the ${ocrWindow} s challenge window, zk-node finalizes`);
await networkHelpers.time.increase(ocrWindow + 1n);
for (let round = 0; round < 4; round++) {
  for (const n of ocrNodes) await n.runOnce();
  if (
    ocrHonestOptimistic.every((j) => ocrJobs.has(j)) &&
    (await Promise.all(ocrHonestOptimistic.map(status))).every((x) => x === JobStatus.Settled)
  )
    break;
}
for (const n of ocrNodes) await n.stop();
let ocrSettled = 0;
for (const [jobId, j] of ocrJobs) {
  if (j.node === badOp.address) {
    const ruling = ocrRulings.get(jobId);
    check(`OCR job ${ocrName(jobId)} (bad-node's wrong text) challenged`, ocrChallenged.has(jobId), true);
    check(`OCR job ${ocrName(jobId)} ruled by the arbitrator`, ruling?.ruling, "NodeWrong");
    check(`OCR job ${ocrName(jobId)} refunded`, await status(jobId), JobStatus.Refunded);
    continue;
  }
  const r = await client.waitForVerifiedResult(jobId, { timeout: 5_000 });
  const lines = ocrText(r.output);
  const how = r.verification.mode === "TEE" ? "TEE" : "optimistic, finalized";
  say(
    `  job ${ocrName(jobId)} (${how}): ${lines.map((l) => `"${l.text}" (${(l.confidence / 100).toFixed(1)} %)`).join(", ")}`,
  );
  check(`OCR job ${ocrName(jobId)} settled`, await status(jobId), JobStatus.Settled);
  if ((await status(jobId)) === JobStatus.Settled) ocrSettled++;
  check(`OCR text of ${j.file}`, JSON.stringify(lines.map((l) => l.text)), JSON.stringify(truthOcr[j.file].lines));
}
const ocrCollateral = (await client.getJob(ocrBad[0])).job.collateral;
check(
  "bad-node slashed again for its wrong OCR text",
  await s.staking.totalStakeOf(badOp.address),
  STAKE - slash - ocrCollateral,
);

await releaseSnarkjs();
await gateway.stop();
rmSync(dir, { recursive: true, force: true });
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.error(`\nDemo FAILED (${seconds} s):\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
console.log(
  `\nDemo complete in ${seconds} s: ${settledIds.length} jobs settled and verified (12 TEE, 4 ZK, 4 optimistic), ` +
    `${dishonest.length} wrong proposals challenged, proven wrong by ZK and slashed, the watcher paid ${vrt(reward)}; ` +
    `${ocrSettled} PaddleOCR jobs on real images settled (TEE and optimistic), ${ocrBad.length} wrong OCR result ` +
    `challenged and ruled wrong by the arbitrator.`,
);
