/**
 * `npm run test:changed [-- <git-ref>] [-- --list]`: runs only the tests a change touches (CONTRIBUTING.md). The
 * change is `git diff <git-ref>` (default `HEAD`: the uncommitted work) plus untracked files. Hardhat's cache then
 * recompiles only the Solidity files that changed. A test is touched when:
 * - it changed itself, or a file it imports (transitively: helpers, `src/`, `scripts/`, `tasks/`, `deploy/`) changed;
 * - a contract changed, or one it imports (an interface, a library): every test whose import closure names an affected
 *   contract (the mocha fixtures deploy by name; the Solidity tests deploy by name with `vm.getCode`);
 * - anything else but prose changed (package.json, hardhat.config.ts, remappings.txt, fixtures, model bundles): then
 *   every test runs (Markdown, docs/ and audit/ never trigger a test).
 * `--list` prints the touched tests without running them. Runs with tsx: `npx tsx scripts/test-changed.ts`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { relativeImports, sourceFiles } from "./lib/imports.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const listOnly = args.includes("--list");
const ref = args.find((a) => !a.startsWith("--")) ?? "HEAD";

const git = (...argv: string[]) =>
  execFileSync("git", argv, { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);

/** Every .ts/.sol file under `dir` (project-relative, forward slashes). */
const filesUnder = (dir: string): string[] => sourceFiles(ROOT, dir, /\.(ts|sol)$/);

/** The project files `file` imports by relative path (`.js` specifiers resolve to the `.ts` source). */
function importsOf(file: string): string[] {
  return relativeImports(file, source.get(file)!)
    .map(({ specifier, target }) =>
      existsSync(path.join(ROOT, target)) ? target : path.posix.join(path.posix.dirname(file), specifier),
    )
    .filter((target) => existsSync(path.join(ROOT, target)));
}

const CODE_DIRS = ["contracts", "test", "src", "scripts", "tasks", "deploy"];
const files = CODE_DIRS.flatMap(filesUnder);
const source = new Map(files.map((f) => [f, readFileSync(path.join(ROOT, f), "utf8")]));
const imports = new Map(files.map((f) => [f, importsOf(f)]));

/** `file` and everything it imports, transitively. */
function closure(file: string): Set<string> {
  const seen = new Set<string>();
  const stack = [file];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    stack.push(...(imports.get(f) ?? []));
  }
  return seen;
}

const changed = [
  ...new Set([...git("diff", "--name-only", ref), ...git("ls-files", "--others", "--exclude-standard")]),
];
const tests = files.filter(
  (f) =>
    f.startsWith("test/") &&
    !f.startsWith("test/helpers/") &&
    !f.startsWith("test/fixtures/") &&
    (f.endsWith(".ts") || f.endsWith(".t.sol")),
);

// Changes to anything but code and prose (configuration, dependencies, fixtures, models): nothing narrower is safe.
const prose = (f: string) => f.endsWith(".md") || f.startsWith("docs/") || f.startsWith("audit/");
const code = (f: string) => CODE_DIRS.some((d) => f.startsWith(`${d}/`)) && /\.(ts|sol)$/.test(f);
const global = changed.filter((f) => !prose(f) && !code(f));
const everything = global.length > 0;

// Contracts a change affects: the changed contract files and every contract file that imports one, transitively.
const contractFiles = files.filter((f) => f.startsWith("contracts/"));
const affectedContracts = new Set(changed.filter((f) => f.startsWith("contracts/") && f.endsWith(".sol")));
for (let grew = true; grew;) {
  grew = false;
  for (const f of contractFiles)
    if (!affectedContracts.has(f) && (imports.get(f) ?? []).some((i) => affectedContracts.has(i))) {
      affectedContracts.add(f);
      grew = true;
    }
}
const contractNames = [...affectedContracts]
  .map((f) => path.posix.basename(f, ".sol"))
  .filter((name) => !/^I[A-Z]/.test(name)); // an interface is covered through the contracts that import it
const namePattern = contractNames.length ? new RegExp(`\\b(${contractNames.join("|")})\\b`) : undefined;

const changedSet = new Set(changed);
const touched = tests.filter((t) => {
  if (everything) return true;
  const deps = closure(t);
  if ([...deps].some((d) => changedSet.has(d))) return true;
  return namePattern !== undefined && [...deps].some((d) => namePattern.test(source.get(d)!));
});

console.log(
  everything
    ? `test:changed: ${global.join(", ")} changed: every test runs`
    : `test:changed: ${changed.length} changed file(s) since ${ref}` +
        (contractNames.length ? ` (contracts affected: ${contractNames.join(", ")})` : "") +
        `: ${touched.length} of ${tests.length} test files`,
);
for (const t of touched) console.log(`  ${t}`);
if (listOnly || touched.length === 0) process.exit(0);

const run = (argv: string[]) => spawnSync("hardhat", argv, { cwd: ROOT, stdio: "inherit" }).status ?? 1;
if (everything) process.exit(run(["test"]));
const sol = touched.filter((t) => t.endsWith(".sol"));
const mocha = touched.filter((t) => t.endsWith(".ts"));
let status = 0;
if (sol.length) status = run(["test", "solidity", ...sol]);
if (mocha.length) status = run(["test", "mocha", ...mocha]) || status;
process.exit(status);
