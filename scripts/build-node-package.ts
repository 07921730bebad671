/**
 * Builds the npm package `@veritas-protocol/node` (the reference node operator and watcher, `npx veritas-node`) in
 * build/node-package/, ready for `npm pack build/node-package` (`npm run pack:node` does both). Run by
 * `npm run build:node-package`, after `npm run build:package` (it compiles against the SDK's dist/ declarations).
 *
 * The node is its own package so that the SDK (`@veritas-protocol/contracts`) stays light: the node brings
 * onnxruntime-node, sharp, the snarkjs prover and the IPFS codecs, which a requester never needs.
 *
 *  - sources: src/node/, src/models/ (but materialize.ts, which reads the repository's recipes) and src/ipfs/,
 *    with their imports of the SDK (the top-level src/*.ts) pointed at `@veritas-protocol/contracts` and those of
 *    the TypeChain types at `@veritas-protocol/contracts/types`;
 *  - package.json: packages/node/package.json with the dependency versions filled in: the versions this repository
 *    pins, the SDK's own version, ethers in the SDK's peer range. Every bare import of the sources must be one of
 *    its dependencies (or the build fails), so the installed package resolves what it imports;
 *  - bin/veritas-node.js and README.md from packages/node/; dist/ compiled by tsc.
 *
 * Run by `npm run build:node-package` (tsx).
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { filesUnder } from "./lib/imports.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TEMPLATE = path.join(ROOT, "packages", "node");
const OUT = path.join(ROOT, "build", "node-package");
const STAGE = path.join(OUT, "src");
/** The node's sources, relative to src/. */
const SOURCES = ["node", "models", "ipfs"];
/** Repository-only modules among them. */
const EXCLUDED = new Set(["models/materialize.ts"]);

type Manifest = {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Manifest;

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`). */
const packageOf = (spec: string): string =>
  spec
    .split("/")
    .slice(0, spec.startsWith("@") ? 2 : 1)
    .join("/");

const sdk = readJson(path.join(ROOT, "package.json"));
if (!existsSync(path.join(ROOT, "dist", "index.d.ts")))
  throw new Error("build-node-package: no dist/index.d.ts (run `npm run build:package` first)");

rmSync(OUT, { recursive: true, force: true });
mkdirSync(STAGE, { recursive: true });

// 1. Sources, with the SDK imported by package name.
const SRC = path.join(ROOT, "src");
const imported = new Set<string>();
const IMPORT = /(from\s+|import\(\s*)"([^"]+)"/g;
for (const dir of SOURCES) {
  for (const file of filesUnder(path.join(SRC, dir))) {
    const rel = path.relative(SRC, file).split(path.sep).join("/");
    if (!rel.endsWith(".ts") || EXCLUDED.has(rel)) continue;
    const text = readFileSync(file, "utf8").replace(IMPORT, (whole, head: string, spec: string) => {
      if (!spec.startsWith(".")) {
        if (!spec.startsWith("node:")) imported.add(packageOf(spec));
        return whole;
      }
      const target = path
        .relative(SRC, path.resolve(path.dirname(file), spec))
        .split(path.sep)
        .join("/");
      if (target === "../typechain-types/index.js") return `${head}"${sdk.name}/types"`;
      if (!target.includes("/")) return `${head}"${sdk.name}"`; // a top-level SDK module (src/<name>.js)
      if (target.startsWith("..") || EXCLUDED.has(target.replace(/\.js$/, ".ts")))
        throw new Error(`build-node-package: src/${rel} imports ${spec}, which the package does not ship`);
      return whole;
    });
    mkdirSync(path.dirname(path.join(STAGE, rel)), { recursive: true });
    writeFileSync(path.join(STAGE, rel), text);
  }
}

// 2. package.json with the versions filled in.
const template = readJson(path.join(TEMPLATE, "package.json")) as Manifest & Record<string, unknown>;
const pinned = { ...sdk.devDependencies, ...sdk.dependencies };
const dependencies: Record<string, string> = {};
for (const name of Object.keys(template.dependencies ?? {})) {
  const version = name === sdk.name ? sdk.version : name === "ethers" ? sdk.peerDependencies?.ethers : pinned[name];
  if (!version) throw new Error(`build-node-package: the repository pins no version of ${name}`);
  dependencies[name] = version;
}
const undeclared = [...imported].filter((p) => !(p in dependencies)).sort();
if (undeclared.length > 0)
  throw new Error(
    `build-node-package: the node imports ${undeclared.join(", ")}, not among packages/node/package.json's dependencies`,
  );
const { "//dependencies": _note, ...manifest } = template;
writeFileSync(
  path.join(OUT, "package.json"),
  JSON.stringify({ ...manifest, version: sdk.version, dependencies }, null, 2) + "\n",
);
cpSync(path.join(TEMPLATE, "bin"), path.join(OUT, "bin"), { recursive: true });
cpSync(path.join(TEMPLATE, "README.md"), path.join(OUT, "README.md"));

// 3. Compile. The SDK resolves to this repository (its package.json exports dist/), the other dependencies to its
// node_modules, as they would from an installed package.
mkdirSync(path.join(OUT, "node_modules", "@veritas-protocol"), { recursive: true });
symlinkSync(ROOT, path.join(OUT, "node_modules", ...sdk.name.split("/")), "dir");
writeFileSync(
  path.join(OUT, "tsconfig.json"),
  JSON.stringify(
    {
      extends: path.join(ROOT, "tsconfig.package.json"),
      compilerOptions: { rootDir: "src", outDir: "dist", typeRoots: [path.join(ROOT, "node_modules", "@types")] },
      include: ["src/**/*.ts"],
    },
    null,
    2,
  ),
);
execFileSync(path.join(ROOT, "node_modules", ".bin", "tsc"), ["-p", OUT], { stdio: "inherit" });
console.log(
  `build-node-package: ${template.name}@${sdk.version} in ${path.relative(ROOT, OUT)}/ ` +
    `(${Object.keys(dependencies).length} dependencies); pack it with \`npm pack ${path.relative(ROOT, OUT)}\``,
);
