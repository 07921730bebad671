#!/usr/bin/env node
// veritas-node: the reference Veritas node operator (src/node/cli.ts, run through tsx). `npx veritas-node --help`.
// It runs from a clone of the repository (it needs the reference model, the ZK prover and the TypeChain types);
// the npm package ships this entry point only to say so.
import { existsSync } from "node:fs";

const cli = new URL("../src/node/cli.ts", import.meta.url);
if (!existsSync(cli)) {
  console.error(
    "veritas-node runs from a clone of the Veritas repository (npm install && npx hardhat build && npx veritas-node --help):\n" +
      "this installed package has the client library only. See docs/operating-a-node.md.",
  );
  process.exit(1);
}
const { register } = await import("tsx/esm/api");
register();
const { main } = await import(cli.href);
let code;
try {
  code = await main(process.argv.slice(2));
} catch (e) {
  console.error(`veritas-node: ${e instanceof Error ? e.message : String(e)}`);
  code = 1;
}
process.exit(code);
