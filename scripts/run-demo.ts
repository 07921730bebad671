/**
 * `npm run demo [-- --rpc <url>]`: runs scripts/demo.ts with `hardhat run`, which takes no flags of its own. Without
 * `--rpc` the demo runs on Hardhat's in-process chain; with `--rpc <url>` (or `VERITAS_RPC=<url>`) it runs on that
 * JSON-RPC chain through the `localhost` network (whose URL `VERITAS_LOCAL_RPC` overrides, see hardhat.config.ts).
 * The chain must offer 10 unlocked accounts and `evm_increaseTime` (`npx hardhat node`, anvil).
 *
 * Plain Node 24 (it strips the types): `node scripts/run-demo.ts --rpc http://127.0.0.1:8545`.
 */
import { spawn } from "node:child_process";

const args = process.argv.slice(2);
let rpc = process.env.VERITAS_RPC;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--rpc" && args[i + 1]) rpc = args[++i];
  else if (args[i].startsWith("--rpc=")) rpc = args[i].slice("--rpc=".length);
  else {
    console.error(`unknown argument ${args[i]}\nusage: npm run demo [-- --rpc <url>]`);
    process.exit(2);
  }
}
const env = rpc ? { ...process.env, VERITAS_LOCAL_RPC: rpc } : process.env;
const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;

/** Runs `hardhat <args>` with its output shown; resolves with its exit code. */
function hardhat(args: string[], onTick?: () => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("hardhat", args, { stdio: "inherit", env });
    const tick = onTick ? setInterval(onTick, 15_000) : undefined;
    child.on("exit", (code, signal) => {
      if (tick) clearInterval(tick);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

// The demo deploys only contracts/ (no Solidity tests): compile just those, in the open, then run without compiling.
console.log(
  "Compiling the contracts the demo deploys (hardhat build --no-tests): about a minute on 2 cores the first time, " +
    "then cached.",
);
const built = await hardhat(["build", "--no-tests"], () => console.log(`  … still compiling (${seconds()})`));
if (built !== 0) process.exit(built);
console.log(`Compiled in ${seconds()}; starting the demo.\n`);
process.exit(await hardhat(["run", "--no-compile", "scripts/demo.ts", ...(rpc ? ["--network", "localhost"] : [])]));
