#!/usr/bin/env node
// veritas-node, the reference Veritas node operator and watcher: `npx veritas-node --help`.
import { run } from "../dist/node/cli.js";

await run();
