/**
 * `veritas-node`: the reference node operator as a command.
 *
 *   npx veritas-node --config node.json [--rpc http://127.0.0.1:8545] [--keystore key.json] [--once] [--withdraw]
 *
 * The operator key comes from VERITAS_NODE_KEY (hex private key) or from `--keystore <file>` (an ethers/geth
 * encrypted JSON wallet) with its password in VERITAS_NODE_KEYSTORE_PASSWORD. The TEE mode signs with a SIMULATED
 * enclave whose key is VERITAS_ENCLAVE_KEY. See docs/operating-a-node.md for the configuration file.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { JsonRpcProvider, Wallet, type Signer } from "ethers";
import { SimulatedEnclave } from "../tee.js";
import { jsonLogger, type LogLevel } from "./logger.js";
import { VeritasNode, type JobSummary, type NodeConfig } from "./operator.js";
import { Watcher } from "./watcher.js";
import { parseDeployment } from "../deployments.js";

const USAGE = `usage: veritas-node --config <node.json> [--rpc <url>] [--keystore <file>] [--once] [--withdraw [--to <address>]]
                    [--watch] [--log-level debug|info|warn|error]

  --config     node configuration (JSON; see docs/operating-a-node.md)
  --rpc        JSON-RPC URL (default: the config's "rpc", else http://127.0.0.1:8545)
  --keystore   encrypted JSON wallet of the operator (password in VERITAS_NODE_KEYSTORE_PASSWORD);
               without it the key is read from VERITAS_NODE_KEY
  --once       run one cycle (follow, serve, submit due batches, finalize due proposals) and exit
  --withdraw   withdraw the node's escrow balance (its earnings) and exit (--watch: claim slash rewards and bonds)
  --watch      watcher/challenger mode (also "mode": "watcher" in the config): re-run proposed optimistic results
               of the config's model, challenge wrong ones with the bond and resolve them with a ZK proof
  --to         receiver of --withdraw (default: the operator)

environment: VERITAS_NODE_KEY, VERITAS_NODE_KEYSTORE_PASSWORD, VERITAS_ENCLAVE_KEY (tee mode: the simulated
enclave's key, registered beforehand with \`npx hardhat veritas register-enclave\`)`;

/** The configuration file: a NodeConfig (bigints as strings) plus the RPC URL and the enclave's measurement. */
export type NodeConfigFile = Omit<NodeConfig, "minFee"> & {
  /** `"watcher"`: run the watcher (challenger) instead of the operator (same as `--watch`). */
  mode?: "operator" | "watcher";
  rpc?: string;
  minFee?: string | number;
  /** The simulated enclave's measurement (bytes32), for the tee mode. */
  enclave?: { measurement: string };
  /** Watcher: also rule, as the appointed arbitrator, on disputes assigned to this account. */
  arbitrate?: boolean;
  /** Watcher: its journal (default: `journalPath` with `.watch` before the extension, e.g. `node.watch.jsonl`). */
  watchJournalPath?: string;
};

/**
 * The watcher's journal file for a configuration: `watchJournalPath`, else `journalPath` with `.watch` before its
 * extension, so one configuration can run both roles without the two writing each other's records into one journal.
 */
export function watchJournalPathOf(cfg: Pick<NodeConfigFile, "journalPath" | "watchJournalPath" | "baseDir">): string {
  const file = cfg.watchJournalPath ?? cfg.journalPath.replace(/(\.[^./\\]+)?$/, (ext) => `.watch${ext}`);
  return path.resolve(cfg.baseDir ?? ".", file);
}

/** Reads a configuration file; relative paths in it resolve against its directory. */
export function loadNodeConfig(file: string): NodeConfigFile {
  const cfg = JSON.parse(readFileSync(file, "utf8")) as NodeConfigFile;
  if (
    (!Array.isArray(cfg.models) && cfg.anyModel !== true) ||
    !Array.isArray(cfg.modes) ||
    typeof cfg.journalPath !== "string"
  ) {
    throw new Error(`${file}: "models" (or "anyModel": true), "modes" and "journalPath" are required`);
  }
  return { ...cfg, baseDir: cfg.baseDir ?? path.dirname(path.resolve(file)) };
}

async function operatorKey(keystore: string | undefined): Promise<Wallet> {
  if (keystore) {
    const password = process.env.VERITAS_NODE_KEYSTORE_PASSWORD;
    if (password === undefined) throw new Error("--keystore needs VERITAS_NODE_KEYSTORE_PASSWORD");
    return (await Wallet.fromEncryptedJson(readFileSync(keystore, "utf8"), password)) as Wallet;
  }
  const key = process.env.VERITAS_NODE_KEY;
  if (!key) throw new Error("no operator key: set VERITAS_NODE_KEY or give --keystore");
  return new Wallet(key);
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string" },
      rpc: { type: "string" },
      keystore: { type: "string" },
      once: { type: "boolean", default: false },
      withdraw: { type: "boolean", default: false },
      to: { type: "string" },
      "log-level": { type: "string", default: "info" },
      watch: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help || !values.config) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const logger = jsonLogger(values["log-level"] as LogLevel);
  const cfg = loadNodeConfig(values.config);
  const provider = new JsonRpcProvider(values.rpc ?? cfg.rpc ?? "http://127.0.0.1:8545", undefined, {
    staticNetwork: true,
    // No 250 ms request cache: two transactions in a row must not read the same pending nonce.
    cacheTimeout: -1,
  });
  const signer: Signer = (await operatorKey(values.keystore)).connect(provider);
  if (values.watch || cfg.mode === "watcher") return watch(cfg, signer, provider, logger, values);
  let enclave: SimulatedEnclave | undefined;
  if (cfg.modes.includes("tee")) {
    const key = process.env.VERITAS_ENCLAVE_KEY;
    if (!key || !cfg.enclave?.measurement)
      throw new Error('the tee mode needs VERITAS_ENCLAVE_KEY and "enclave": { "measurement": … } in the config');
    enclave = new SimulatedEnclave(cfg.enclave.measurement, new Wallet(key));
  }
  const { rpc: _rpc, enclave: _enclave, ...rest } = cfg;
  const node = new VeritasNode({ ...rest, minFee: BigInt(cfg.minFee ?? 0) }, { signer, provider, enclave, logger });
  node.on("job", (s: JobSummary) => console.log(summaryLine(s)));
  try {
    if (values.withdraw) {
      const w = await node.withdrawEarnings(values.to);
      console.log(w.amount === 0n ? "nothing to withdraw" : `withdrew ${w.amount} (tx ${w.txHash})`);
      return 0;
    }
    if (values.once) {
      await node.runOnce();
      return 0;
    }
    await node.start();
    await untilSignal(logger);
    return 0;
  } finally {
    await node.stop();
    provider.destroy();
  }
}

/** The bin's entry (both `bin/veritas-node.mjs` of a clone and the `@veritas-protocol/node` package): runs `main`,
 * prints an error as one line and exits with the code. */
export async function run(argv: string[] = process.argv.slice(2)): Promise<never> {
  let code: number;
  try {
    code = await main(argv);
  } catch (e) {
    console.error(`veritas-node: ${e instanceof Error ? e.message : String(e)}`);
    code = 1;
  }
  process.exit(code);
}

/** Waits for SIGINT or SIGTERM, then logs that the process is stopping. */
async function untilSignal(logger: ReturnType<typeof jsonLogger>): Promise<void> {
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  logger.info("stopping");
}

/** `--watch`: the watcher (challenger) with the config's escrow, first model, journal and polling settings. */
async function watch(
  cfg: NodeConfigFile,
  signer: Signer,
  provider: JsonRpcProvider,
  logger: ReturnType<typeof jsonLogger>,
  values: { once?: boolean; withdraw?: boolean },
): Promise<number> {
  const deployment =
    cfg.deployment === undefined
      ? undefined
      : typeof cfg.deployment === "string"
        ? parseDeployment(readFileSync(path.resolve(cfg.baseDir ?? ".", cfg.deployment), "utf8"))
        : parseDeployment(cfg.deployment);
  const escrow = cfg.contracts?.escrow ?? deployment?.contracts.escrow;
  if (!escrow) throw new Error('the watcher needs "contracts": { "escrow": … } or "deployment" in the config');
  const watcher = new Watcher(
    {
      escrow,
      fromBlock: cfg.fromBlock ?? deployment?.deployedAtBlock,
      confirmations: cfg.confirmations,
      pollInterval: cfg.pollIntervalMs,
      maxBlockRange: cfg.maxLogRange,
      journalPath: watchJournalPathOf(cfg),
      bundles: Object.fromEntries(
        (cfg.models ?? []).filter((m) => m.bundle !== undefined).map((m) => [String(m.versionId), m.bundle!]),
      ),
      gateways: cfg.gateways,
      baseDir: cfg.baseDir,
      arbitrate: cfg.arbitrate,
    },
    { signer, logger },
  );
  try {
    if (values.withdraw) {
      const c = await watcher.collect();
      console.log(`claimed ${c.rewards} in slash rewards, withdrew ${c.withdrawn}`);
      return 0;
    }
    if (values.once) {
      for (const w of await watcher.runOnce())
        console.log(`job 0x${w.jobId.toString(16)}  ${w.state}  ${w.ruling ?? w.reason ?? ""}`);
      return 0;
    }
    watcher.start();
    await untilSignal(logger);
    return 0;
  } finally {
    await watcher.stop();
    provider.destroy();
  }
}

/** The one line printed per job on stdout. */
export function summaryLine(s: JobSummary): string {
  const parts = [`job 0x${s.jobId.toString(16)}`, s.mode, s.status];
  if (s.reason) parts.push(`(${s.reason})`);
  if (s.txHash) parts.push(`tx ${s.txHash}`);
  if (s.gasUsed !== undefined)
    parts.push(`gas ${s.gasUsed}${s.batchSize && s.batchSize > 1 ? `/${s.batchSize} jobs` : ""}`);
  if (s.requestedAt !== undefined && s.settledAt !== undefined)
    parts.push(`${s.settledAt - s.requestedAt} s after request`);
  return parts.join("  ");
}
