import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { ROOT, type DeploymentRecord } from "../../deploy/deployment.js";
import { DEPLOYMENTS_DIR_VARIABLE } from "../../src/deployments.js";

const BIN = path.join(ROOT, "node_modules", ".bin");
/** PATH with node_modules/.bin first, so `hardhat` runs on the Node 24 that the project installs. */
export const PROJECT_ENV = { ...process.env, PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ""}` };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * True under `hardhat test --coverage`. Hardhat's mocha runner exports its global options as HARDHAT_* variables, so
 * the nodes and commands started here inherit `--coverage` and deploy instrumented bytecode, which is larger than
 * EIP-170 allows (a `hardhat node` lifts the limit itself in coverage mode; anvil needs to be told).
 */
export const UNDER_COVERAGE = process.env.HARDHAT_COVERAGE === "true";

export type RpcNode = {
  url: string;
  provider: JsonRpcProvider;
  /** Stops the node and removes what was made for it (`removeOnStop`). */
  stop: () => Promise<void>;
  /** Files or directories made for this node only (its deployment record, Ignition's journal), removed by `stop`. */
  removeOnStop: (file: string) => void;
};

/**
 * Starts `hardhat node` or anvil on 127.0.0.1 and waits until *it* listens: the child must print that it listens on
 * its port. Answering JSON-RPC is not enough: test files run in parallel workers, and a port `freePort` found free can
 * be taken by another worker's node before this one binds it; this node then exits (address in use) while the URL
 * answers for the other one, and the two test files would share a chain (and, through Ignition's journal, a
 * deployment). On such a clash the node is started again on another port (`port`: the first port to try).
 */
export async function startNode(client: "hardhat" | "anvil", { port }: { port?: number } = {}): Promise<RpcNode> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNodeOnce(client, attempt === 1 ? port : undefined);
    } catch (e) {
      if (!(e instanceof PortTaken) || attempt >= 5) throw e;
    }
  }
}

class PortTaken extends Error {}

async function startNodeOnce(client: "hardhat" | "anvil", wanted?: number): Promise<RpcNode> {
  const port = wanted ?? (await freePort());
  const args =
    client === "hardhat"
      ? ["node", "--hostname", "127.0.0.1", "--port", String(port)]
      : [...["--host", "127.0.0.1", "--port", String(port)], ...(UNDER_COVERAGE ? ["--disable-code-size-limit"] : [])];
  const child: ChildProcess = spawn(path.join(BIN, client === "hardhat" ? "hardhat" : "anvil"), args, {
    cwd: ROOT,
    env: PROJECT_ENV,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // The output until it listens (then read and dropped: anvil logs every call, and an unread pipe would block it).
  let output = "";
  let starting = true;
  child.stdout?.on("data", (d) => starting && (output += d));
  child.stderr?.on("data", (d) => starting && (output += d));
  const url = `http://127.0.0.1:${port}`;
  // hardhat: "Started HTTP and WebSocket JSON-RPC server at http://127.0.0.1:PORT/"; anvil: "Listening on 127.0.0.1:PORT".
  const listening = client === "hardhat" ? `server at ${url}/` : `Listening on 127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!output.includes(listening)) {
    if (child.exitCode !== null) {
      if (/address already in use|EADDRINUSE|Address in use/i.test(output)) throw new PortTaken(output);
      throw new Error(`${client} exited early:\n${output}`);
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${client} did not listen on ${url} within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  starting = false;
  output = "";
  const provider = new JsonRpcProvider(url, undefined, { polling: true, pollingInterval: 50 });
  const made: string[] = [];
  const stop = async () => {
    provider.destroy();
    for (const file of made.splice(0)) rmSync(file, { recursive: true, force: true });
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  };
  return { url, provider, stop, removeOnStop: (file) => void made.push(file) };
}

export type Deployed = {
  record: DeploymentRecord;
  /** What `scripts/deploy.ts` printed. */
  output: string;
  /** The environment that points this project's commands at the node and its record (`--network localhost`). */
  env: Record<string, string>;
};

/**
 * Deploys the suite to `node` with the user's command (`hardhat run scripts/deploy.ts --network localhost`) and reads
 * the record it wrote. The record goes to a fresh directory (VERITAS_DEPLOYMENTS_DIR) unless `inProject` is set, so
 * test files that run in parallel, each against its own node, never read one another's record.
 */
export async function deployTo(node: RpcNode, { inProject = false } = {}): Promise<Deployed> {
  const dir = inProject ? path.join(ROOT, "deployments") : mkdtempSync(path.join(tmpdir(), "veritas-deployments-"));
  const env = { VERITAS_LOCAL_RPC: node.url, [DEPLOYMENTS_DIR_VARIABLE]: dir };
  const output = await runProjectCommand("hardhat", ["run", "scripts/deploy.ts", "--network", "localhost"], env);
  const record = JSON.parse(readFileSync(path.join(dir, "31337.json"), "utf8")) as DeploymentRecord;
  if (!inProject) node.removeOnStop(dir);
  // Ignition's journal of this deployment (scripts/deploy.ts keys it by the node's genesis block and port).
  const genesis = (await node.provider.getBlock(0))!.hash!;
  node.removeOnStop(
    path.join(ROOT, "deploy", "deployments", `chain-31337-${genesis.slice(2, 10)}-${new URL(node.url).port}`),
  );
  return { record, output, env };
}

/** Runs a command of this project (e.g. `hardhat run scripts/deploy.ts --network localhost`) and returns its output. */
export async function runProjectCommand(bin: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(BIN, bin), args, {
      cwd: ROOT,
      env: { ...PROJECT_ENV, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${bin} ${args.join(" ")} exited ${code}:\n${out}`)),
    );
  });
}

/** Runs `command` in the repository with the project's PATH and `env`, returning its exit code and output. */
export function runCaptured(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...PROJECT_ENV, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
