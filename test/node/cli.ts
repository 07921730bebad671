import { expect } from "chai";
import { network } from "hardhat";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { encryptKeystoreJson, HDNodeWallet, id } from "ethers";
import { Mode } from "../helpers/constants.js";
import { ROOT } from "../../deploy/deployment.js";
import { nodeFeeOf } from "../../src/jobs.js";
import { MEASUREMENT } from "../helpers/fixtures.js";
import { deployNodeFixture, referenceBundle, tempDir, type NodeFixture } from "../helpers/node.js";
import { PROJECT_ENV, runCaptured, startNode, type RpcNode } from "../helpers/rpc-node.js";
import { watchJournalPathOf } from "../../src/node/cli.js";
import { describeOffChain } from "../helpers/offchain.js";

const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const BIN = path.join(ROOT, "bin", "veritas-node.mjs");

/** Runs `npx veritas-node <args>` in the repository, as an operator would. */
function veritasNode(args: string[], env: Record<string, string>) {
  return runCaptured("npx", ["veritas-node", ...args], env);
}

/** Runs the bin's file directly (what `npx veritas-node` runs, without npx's start-up). */
function veritasNodeBin(args: string[], env: Record<string, string>) {
  return runCaptured(NODE, [BIN, ...args], env);
}

describeOffChain("veritas-node as a command (hardhat node over JSON-RPC)", function () {
  this.timeout(180_000);
  let rpc: RpcNode;
  let f: NodeFixture;
  let dir: string;
  let config: string;
  let keystore: string;
  const password = "correct horse battery staple";
  // The fixture's node is the chain's account 4 (Hardhat's default mnemonic).
  const operator = HDNodeWallet.fromPhrase(
    "test test test test test test test test test test test junk",
    undefined,
    "m/44'/60'/0'/0/4",
  );
  const enclaveKey = id("node-enclave-1");

  before(async function () {
    rpc = await startNode("hardhat");
    const conn = await network.create({ network: "localhost", override: { url: rpc.url } });
    f = await deployNodeFixture(conn.ethers, conn.networkHelpers);
    expect(f.node.address).to.equal(operator.address);
    dir = tempDir();
    keystore = path.join(dir, "operator.json");
    writeFileSync(
      keystore,
      await encryptKeystoreJson({ address: operator.address, privateKey: operator.privateKey }, password, {
        scrypt: { N: 1024 },
      }),
    );
    config = path.join(dir, "node.json");
    writeFileSync(
      config,
      JSON.stringify(
        {
          contracts: { escrow: await f.escrow.getAddress() },
          models: [
            { versionId: 1, modelId: 1, bundle: referenceBundle() },
            { versionId: 2, modelId: 1, bundle: referenceBundle() },
          ],
          modes: ["tee", "optimistic"],
          enclave: { measurement: MEASUREMENT },
          minFee: "0",
          journalPath: "journal.jsonl",
          teeBatchSize: 8,
          teeMaxWaitMs: 0,
          pollIntervalMs: 100,
        },
        null,
        2,
      ),
    );
  });

  after(async function () {
    await rpc?.stop();
  });

  it("serves TEE and optimistic jobs, finalizes, withdraws, and runs until SIGTERM", async function () {
    const tee = await f.request({ mode: Mode.TEE });
    const opt = await f.requestOptimistic(f.provableVersion);
    const env = { VERITAS_NODE_KEYSTORE_PASSWORD: password, VERITAS_ENCLAVE_KEY: enclaveKey };

    const first = await veritasNode(["--config", config, "--rpc", rpc.url, "--keystore", keystore, "--once"], env);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout, first.stdout + first.stderr).to.contain(`job 0x${tee.jobId.toString(16)}  tee  settled`);
    expect(first.stdout, first.stdout + first.stderr).to.contain(
      `job 0x${opt.jobId.toString(16)}  optimistic  proposed`,
    );
    expect(first.stderr).to.contain("the enclave is SIMULATED");
    console.log(first.stdout.replace(/^/gm, "      ").trimEnd());
    for (const line of first.stderr
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("{")))
      expect(() => JSON.parse(line)).to.not.throw();

    await f.helpers.time.increase(opt.job.challengeWindow);
    const keyEnv = { VERITAS_NODE_KEY: operator.privateKey, VERITAS_ENCLAVE_KEY: enclaveKey };
    const second = await veritasNodeBin(["--config", config, "--rpc", rpc.url, "--once"], keyEnv);
    expect(second.code, second.stderr).to.equal(0);
    console.log(`      ${second.stdout.trim()}`);
    expect(second.stdout, second.stdout + second.stderr).to.contain(
      `job 0x${opt.jobId.toString(16)}  optimistic  settled`,
    );
    expect(second.stdout).to.not.contain("tee"); // resumed from the journal's cursor: nothing twice

    const earned = nodeFeeOf(tee.job) + nodeFeeOf(opt.job);
    const withdrawn = await veritasNodeBin(["--config", config, "--rpc", rpc.url, "--withdraw"], keyEnv);
    expect(withdrawn.code, withdrawn.stderr).to.equal(0);
    expect(withdrawn.stdout).to.contain(`withdrew ${earned}`);
    expect(await f.escrow.balanceOf(f.node.address)).to.equal(0n);

    // The long-running form: serves a new job, then stops cleanly on SIGTERM.
    const child = spawn(NODE, [BIN, "--config", config, "--rpc", rpc.url], {
      cwd: ROOT,
      env: { ...PROJECT_ENV, ...keyEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    try {
      await new Promise((r) => setTimeout(r, 500));
      const next = await f.request({ mode: Mode.TEE });
      const deadline = Date.now() + 60_000;
      while (!out.includes(`job 0x${next.jobId.toString(16)}  tee  settled`) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(out, err).to.contain(`job 0x${next.jobId.toString(16)}  tee  settled`);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).to.equal(0);
  });
});

describeOffChain("veritas-node configuration", function () {
  it("the watcher's journal is its own file unless watchJournalPath names one", function () {
    expect(watchJournalPathOf({ journalPath: "node.jsonl", baseDir: "/srv/n" })).to.equal("/srv/n/node.watch.jsonl");
    expect(watchJournalPathOf({ journalPath: "state/journal", baseDir: "/srv/n" })).to.equal(
      "/srv/n/state/journal.watch",
    );
    expect(watchJournalPathOf({ journalPath: "a.b/j.jsonl", baseDir: "/srv" })).to.equal("/srv/a.b/j.watch.jsonl");
    expect(watchJournalPathOf({ journalPath: "node.jsonl", watchJournalPath: "w.jsonl", baseDir: "/srv" })).to.equal(
      "/srv/w.jsonl",
    );
  });
});
