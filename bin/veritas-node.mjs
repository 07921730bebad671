#!/usr/bin/env node
// `npx veritas-node` in a clone of the repository (linked by npm install, see bin/package.json): the node from its
// TypeScript sources (src/node/cli.ts) through tsx. Installed from npm, the node is the package @veritas-protocol/node.
const { register } = await import("tsx/esm/api");
register();
const { run } = await import(new URL("../src/node/cli.ts", import.meta.url).href);
await run();
