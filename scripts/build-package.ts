/**
 * Prepares what `npm pack` publishes besides the Solidity sources (run by `npm run build:package`, which `prepack`
 * runs; `hardhat build` must have run first):
 *
 *  - abi/<Contract>.json: the ABI of every published contract, interface and library, as plain JSON;
 *  - build/package/src/: the sources that `tsc -p tsconfig.package.json` compiles into dist/: src/*.ts, with
 *    their `../typechain-types/` imports pointed at `./types/`, and the TypeChain types in types/ — all but the
 *    contracts that are not published (contracts/mocks, Solidity tests) and Hardhat's type extensions.
 *
 * Plain Node (24 strips the types): `node scripts/build-package.ts`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ARTIFACTS = path.join(ROOT, "artifacts", "contracts");
const TYPECHAIN = path.join(ROOT, "typechain-types");
const SRC = path.join(ROOT, "src");
const ABI_OUT = path.join(ROOT, "abi");
const STAGE = path.join(ROOT, "build", "package", "src");
const DIST = path.join(ROOT, "dist");

/** Solidity sources that are never published: test doubles and Solidity tests. */
const UNPUBLISHED_DIRS = ["mocks"];
const isPublishedSource = (sourceName: string): boolean =>
  sourceName.startsWith("contracts/") &&
  !UNPUBLISHED_DIRS.some((d) => sourceName.startsWith(`contracts/${d}/`)) &&
  !sourceName.endsWith(".t.sol");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

for (const [what, dir] of [
  ["artifacts (run `npx hardhat build`)", ARTIFACTS],
  ["typechain-types (run `npx hardhat build`)", TYPECHAIN],
] as const) {
  if (!existsSync(dir)) throw new Error(`build-package: no ${what}`);
}

// 1. ABIs.
rmSync(ABI_OUT, { recursive: true, force: true });
mkdirSync(ABI_OUT, { recursive: true });
const published = new Map<string, string>();
for (const file of walk(ARTIFACTS)
  .filter((f) => f.endsWith(".json"))
  .sort()) {
  const artifact = JSON.parse(readFileSync(file, "utf8")) as {
    contractName?: string;
    sourceName?: string;
    abi?: unknown[];
  };
  if (!artifact.contractName || !artifact.sourceName || !Array.isArray(artifact.abi)) continue;
  if (!isPublishedSource(artifact.sourceName)) continue;
  const other = published.get(artifact.contractName);
  if (other)
    throw new Error(`build-package: two contracts named ${artifact.contractName} (${other}, ${artifact.sourceName})`);
  published.set(artifact.contractName, artifact.sourceName);
  writeFileSync(path.join(ABI_OUT, `${artifact.contractName}.json`), JSON.stringify(artifact.abi, null, 2) + "\n");
}

// 2. TypeChain types without the unpublished contracts.
rmSync(path.join(ROOT, "build", "package"), { recursive: true, force: true });
const typesOut = path.join(STAGE, "types");
const unpublished = new RegExp(`(^|/)(${UNPUBLISHED_DIRS.join("|")})(/|$)`);
const mentionsUnpublished = new RegExp(
  `['"]\\./(?:[\\w.]+/)*(${UNPUBLISHED_DIRS.join("|")})/|\\{ (${UNPUBLISHED_DIRS.join("|")}) \\}`,
);
for (const file of walk(TYPECHAIN)) {
  const rel = path.relative(TYPECHAIN, file).split(path.sep).join("/");
  if (!rel.endsWith(".ts") || rel === "hardhat.d.ts" || unpublished.test(path.posix.dirname(rel))) continue;
  let text = readFileSync(file, "utf8");
  if (path.basename(rel) === "index.ts") {
    text = text
      .split("\n")
      .filter((line) => !mentionsUnpublished.test(line))
      .join("\n");
  }
  mkdirSync(path.dirname(path.join(typesOut, rel)), { recursive: true });
  writeFileSync(path.join(typesOut, rel), text);
}

// 3. The client's sources, importing the staged types.
for (const file of readdirSync(SRC).filter((f) => f.endsWith(".ts"))) {
  const text = readFileSync(path.join(SRC, file), "utf8").replaceAll('"../typechain-types/', '"./types/');
  const outside = /from\s+["']\.\.\//.exec(text);
  if (outside)
    throw new Error(
      `build-package: src/${file} imports from outside src/ (${outside[0]}…): the package could not resolve it`,
    );
  writeFileSync(path.join(STAGE, file), text);
}

// 4. A clean dist/ for tsc.
rmSync(DIST, { recursive: true, force: true });
console.log(`build-package: ${published.size} ABIs in abi/, sources staged in ${path.relative(ROOT, STAGE)}/ for tsc`);
