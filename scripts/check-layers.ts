/**
 * `npm run lint:layers` (part of `npm run lint`): the TypeScript layers point one way (CONTRIBUTING.md).
 *
 *   contracts  <-  src/ (the SDK)  <-  src/node, zk/lib, deploy/, tasks/  <-  scripts/, test/
 *
 * - src/ imports only src/ and the TypeChain types (typechain-types/): never scripts/, tasks/, test/ or deploy/.
 * - The packaged SDK, src/*.ts, imports only src/*.ts and typechain-types/ (build-package ships those files alone).
 * - tasks/, deploy/ and zk/ never import scripts/ (scripts/ is the top: commands, not a library).
 * - zk/lib/ (the reference circuit's prover) imports only src/, typechain-types/ and itself.
 * - Nothing outside scripts/ imports scripts/lib/ (the commands' own helpers); a test imports a script only to test it.
 *
 * `tsx scripts/check-layers.ts [dir]` checks `dir` (default this project); exits 1 listing every import that breaks a
 * rule, with the rule.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { relativeImports, sourceFiles } from "./lib/imports.js";

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), ".."));

const tsFiles = (dir: string): string[] => sourceFiles(root, dir, /\.m?ts$/);

const under = (target: string, dir: string) => target.startsWith(`${dir}/`);
const RULES: { applies: (file: string) => boolean; allows: (target: string) => boolean; rule: string }[] = [
  {
    applies: (f) => under(f, "src"),
    allows: (t) => under(t, "src") || under(t, "typechain-types"),
    rule: "src/ is the SDK: it imports only src/ and typechain-types/",
  },
  {
    applies: (f) => /^src\/[^/]+$/.test(f),
    allows: (t) => /^src\/[^/]+$/.test(t) || under(t, "typechain-types"),
    rule: "src/*.ts is the npm package's client: it imports only src/*.ts and typechain-types/",
  },
  {
    applies: (f) => under(f, "tasks") || under(f, "deploy") || under(f, "zk"),
    allows: (t) => !under(t, "scripts"),
    rule: "nothing but scripts/ and test/ imports scripts/",
  },
  {
    applies: (f) => under(f, "zk/lib"),
    allows: (t) => under(t, "zk/lib") || under(t, "src") || under(t, "typechain-types"),
    rule: "zk/lib/ is a library: it imports only zk/lib/, src/ and typechain-types/",
  },
  {
    applies: (f) => !under(f, "scripts"),
    allows: (t) => !under(t, "scripts/lib"),
    rule: "scripts/lib/ holds the commands' own helpers: nothing outside scripts/ imports it",
  },
];

const violations: string[] = [];
for (const file of ["src", "tasks", "deploy", "zk/lib", "zk/scripts", "test"].flatMap(tsFiles)) {
  const text = readFileSync(path.join(root, file), "utf8");
  for (const { specifier, target } of relativeImports(file, text)) {
    for (const r of RULES) {
      if (r.applies(file) && !r.allows(target))
        violations.push(`${file}: imports "${specifier}" (${target}): ${r.rule}`);
    }
  }
}
if (violations.length > 0) {
  console.error(`check-layers: ${violations.length} import(s) against the layering (CONTRIBUTING.md):`);
  for (const v of violations) console.error(`  ${v}`);
  process.exit(1);
}
console.log(
  "check-layers: src/ -> src/ + typechain-types/ only; zk/lib -> zk/lib + src/; tasks/, deploy/, zk/ never import " +
    "scripts/; nothing outside scripts/ imports scripts/lib/: ok",
);
