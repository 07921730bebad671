/**
 * `npm run bench:dev [-- --no-ci] [-- --keep]`: what a newcomer and an auditor wait for, measured on a clean clone of
 * this repository's HEAD in a temporary directory (issue "one minute, five minutes"): `npm ci`, the first line and
 * the whole of `npm run demo` (which includes its compile), `npm test` (with the Solidity tests' compile, after the
 * demo's), and `.ci/run` on another clean clone (skipped with `--no-ci`). Prints a table against the targets.
 * Plain Node 24: `node scripts/bench-dev.ts`.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const withCi = !args.includes("--no-ci");

type Timed = { seconds: number; firstLine?: number; code: number };

/** Runs `cmd` in `cwd`, timing it and the first output line that is not npm's own header. */
function timed(cmd: string, argv: string[], cwd: string): Promise<Timed> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let firstLine: number | undefined;
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, FORCE_COLOR: "0" } });
    const see = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        const l = line.trim();
        if (firstLine === undefined && l && !l.startsWith(">") && !l.startsWith("npm warn"))
          firstLine = (performance.now() - t0) / 1000;
      }
    };
    child.stdout.on("data", see);
    child.stderr.on("data", see);
    child.on("exit", (code) => resolve({ seconds: (performance.now() - t0) / 1000, firstLine, code: code ?? 1 }));
  });
}

function cleanClone(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "veritas-bench-dev-"));
  execFileSync("git", ["clone", "--quiet", ROOT, dir]);
  return dir;
}

const rows: [string, number | undefined, number, number][] = [];
const dir = cleanClone();
console.log(
  `clean clone of ${execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).toString().trim()} in ${dir}`,
);
const install = await timed("npm", ["ci", "--no-audit", "--no-fund"], dir);
rows.push(["npm ci", install.seconds, 0, install.code]);
const demo = await timed("npm", ["run", "demo"], dir);
rows.push(["npm run demo: first line", demo.firstLine, 60, 0]);
rows.push(["npm run demo: whole (incl. compile)", demo.seconds, 120, demo.code]);
const test = await timed("npm", ["test"], dir);
rows.push(["npm test (incl. test compile)", test.seconds, 300, test.code]);
if (!args.includes("--keep")) rmSync(dir, { recursive: true, force: true });
if (withCi) {
  const ciDir = cleanClone();
  const ci = await timed("bash", [".ci/run"], ciDir);
  rows.push([".ci/run (clean clone, every gate)", ci.seconds, 720, ci.code]);
  rmSync(ciDir, { recursive: true, force: true });
}

console.log("\n| step | seconds | target | within | exit |\n|---|---:|---:|---|---:|");
for (const [what, s, target, code] of rows)
  console.log(
    `| ${what} | ${s === undefined ? "-" : s.toFixed(0)} | ${target || "-"} | ${target ? (s !== undefined && s <= target ? "yes" : "NO") : ""} | ${code} |`,
  );
