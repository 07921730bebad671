#!/usr/bin/env node
// veritas-node: the reference Veritas node operator (src/node/cli.ts, run through tsx). `npx veritas-node --help`.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/node/cli.ts");
let code;
try {
  code = await main(process.argv.slice(2));
} catch (e) {
  console.error(`veritas-node: ${e instanceof Error ? e.message : String(e)}`);
  code = 1;
}
process.exit(code);
