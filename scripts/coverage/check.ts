/**
 * Coverage gate (`npm run coverage:check`): runs the whole test suite instrumented (`hardhat test --coverage`), then
 * fails unless the contracts under contracts/ reach
 *   - line coverage   >= 95 % (Hardhat's own coverage/lcov.info),
 *   - branch coverage >= 90 % (each if and require = 2 branches, each try/catch clause = 1; a side is covered when the
 *     statement the branch-coverage plugin made of it was hit in Hardhat's data, coverage/data/*: see plugin.ts).
 * Writes coverage/summary.json and coverage/lcov-branches.info (Hardhat's lcov.info plus BRDA/BRF/BRH records).
 *
 *   npm run coverage:check                 # clean run, then the gate
 *   npm run coverage:check -- --no-run     # the gate on the output of the last `hardhat test --coverage`
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const COVERAGE = path.join(ROOT, "coverage");
const MIN_LINES = 95;
const MIN_BRANCHES = 90;

/** Files under contracts/ outside the gate, with the reason. */
const EXCLUDED: Array<{ prefix: string; reason: string }> = [
  { prefix: "contracts/mocks/", reason: "test doubles (not deployed; skipped by Hardhat too: coverage.skipFiles)" },
];

interface BranchMap {
  file: string;
  sha256: string;
  statements: number;
  branches: Array<{ kind: string; line: number; source: string; arms: Array<{ label: string; tag: string }> }>;
}

interface FileFigures {
  file: string;
  lines: { found: number; hit: number };
  branches: { found: number; hit: number };
  missedBranches: string[];
}

const pct = (hit: number, found: number) => (found === 0 ? 100 : (100 * hit) / found);
const fmt = (hit: number, found: number) => `${pct(hit, found).toFixed(2).padStart(6)} % (${hit}/${found})`;

function solidityFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return solidityFiles(rel);
    return e.name.endsWith(".sol") && !e.name.endsWith(".t.sol") ? [rel] : [];
  });
}

/** lcov.info -> file -> { DA lines }. */
function readLcov(text: string): Map<string, { found: number; hit: number; record: string }> {
  const out = new Map<string, { found: number; hit: number; record: string }>();
  for (const record of text.split("end_of_record")) {
    const sf = /^SF:(.*)$/m.exec(record);
    if (sf === null) continue;
    const da = [...record.matchAll(/^DA:\d+,(\d+)/gm)];
    out.set(sf[1].trim().split(path.sep).join("/"), {
      found: da.length,
      hit: da.filter((m) => Number(m[1]) > 0).length,
      record: record.trim(),
    });
  }
  return out;
}

/** Hardhat's hit data (statement tag -> count) of every test run (mocha, solidity) of the last coverage run. */
function readHits(): Map<string, number> {
  const hits = new Map<string, number>();
  const dataDir = path.join(COVERAGE, "data");
  for (const run of existsSync(dataDir) ? readdirSync(dataDir) : []) {
    for (const file of readdirSync(path.join(dataDir, run))) {
      const data = JSON.parse(readFileSync(path.join(dataDir, run, file), "utf8")) as Record<string, number>;
      for (const [tag, count] of Object.entries(data)) hits.set(tag, (hits.get(tag) ?? 0) + count);
    }
  }
  return hits;
}

function runTests(): number {
  rmSync(COVERAGE, { recursive: true, force: true });
  const started = Date.now();
  const run = spawnSync(path.join(ROOT, "node_modules", ".bin", "hardhat"), ["test", "--coverage"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  const seconds = (Date.now() - started) / 1000;
  console.log(`coverage: hardhat test --coverage took ${seconds.toFixed(0)} s`);
  if (run.status !== 0) {
    console.error(`coverage: FAIL, the test suite failed under coverage (exit ${run.status ?? run.signal})`);
    process.exit(1);
  }
  return seconds;
}

function main(): void {
  const started = Date.now();
  const testSeconds = process.argv.includes("--no-run") ? undefined : runTests();
  const lcovPath = path.join(COVERAGE, "lcov.info");
  if (!existsSync(lcovPath)) throw new Error("coverage/lcov.info is missing: run `npx hardhat test --coverage` first");
  const lcov = readLcov(readFileSync(lcovPath, "utf8"));
  const hits = readHits();
  const mapDir = path.join(COVERAGE, "branch-map");
  const maps = new Map<string, BranchMap>();
  for (const name of existsSync(mapDir) ? readdirSync(mapDir) : []) {
    const map = JSON.parse(readFileSync(path.join(mapDir, name), "utf8")) as BranchMap;
    maps.set(map.file.split(path.sep).join("/"), map);
  }

  const problems: string[] = [];
  const figures: FileFigures[] = [];
  for (const file of solidityFiles("contracts")) {
    if (EXCLUDED.some((e) => file.startsWith(e.prefix))) continue;
    const map = maps.get(file);
    const content = readFileSync(path.join(ROOT, file), "utf8");
    if (map === undefined) {
      problems.push(`${file}: not in the coverage build (no branch map); is it compiled by \`hardhat build\`?`);
      continue;
    }
    if (map.sha256 !== createHash("sha256").update(content).digest("hex")) {
      problems.push(`${file}: changed since the coverage run; run it again`);
      continue;
    }
    const lines = lcov.get(file) ?? { found: 0, hit: 0 };
    if (map.statements > 0 && lines.found === 0) problems.push(`${file}: has statements but no lines in lcov.info`);
    if (map.statements === 0 && map.branches.length === 0) continue; // interfaces, constants, pure declarations
    const arms = map.branches.flatMap((b) => b.arms.map((a) => ({ b, a, hit: (hits.get(a.tag) ?? 0) > 0 })));
    figures.push({
      file,
      lines: { found: lines.found, hit: lines.hit },
      branches: { found: arms.length, hit: arms.filter((x) => x.hit).length },
      missedBranches: arms.filter((x) => !x.hit).map((x) => `${x.b.line} ${x.b.kind} ${x.a.label}: ${x.b.source}`),
    });
  }

  const total = figures.reduce(
    (t, f) => ({
      lines: { found: t.lines.found + f.lines.found, hit: t.lines.hit + f.lines.hit },
      branches: { found: t.branches.found + f.branches.found, hit: t.branches.hit + f.branches.hit },
    }),
    { lines: { found: 0, hit: 0 }, branches: { found: 0, hit: 0 } },
  );
  const width = Math.max(...figures.map((f) => f.file.length), 5);
  console.log(`\n${"File".padEnd(width)}  ${"Lines".padEnd(22)}  Branches`);
  for (const f of figures) {
    console.log(
      `${f.file.padEnd(width)}  ${fmt(f.lines.hit, f.lines.found).padEnd(22)}  ${fmt(f.branches.hit, f.branches.found)}`,
    );
  }
  console.log(
    `${"Total".padEnd(width)}  ${fmt(total.lines.hit, total.lines.found).padEnd(22)}  ${fmt(total.branches.hit, total.branches.found)}`,
  );
  for (const f of figures) for (const m of f.missedBranches) console.log(`  branch not taken: ${f.file}:${m}`);
  for (const e of EXCLUDED) console.log(`  excluded: ${e.prefix} (${e.reason})`);

  const linePct = pct(total.lines.hit, total.lines.found);
  const branchPct = pct(total.branches.hit, total.branches.found);
  if (linePct < MIN_LINES) problems.push(`line coverage ${linePct.toFixed(2)} % < ${MIN_LINES} %`);
  if (branchPct < MIN_BRANCHES) problems.push(`branch coverage ${branchPct.toFixed(2)} % < ${MIN_BRANCHES} %`);

  writeFileSync(
    path.join(COVERAGE, "summary.json"),
    JSON.stringify(
      {
        thresholds: { lines: MIN_LINES, branches: MIN_BRANCHES },
        total: { ...total, linePct, branchPct },
        files: figures,
        excluded: EXCLUDED,
        testSeconds,
        passed: problems.length === 0,
      },
      null,
      2,
    ),
  );
  // Hardhat's lcov.info with branch records added, for tools that read lcov (one BRDA per branch side).
  let lcovOut = "TN:\n";
  for (const f of figures) {
    const record = lcov.get(f.file)?.record.replace(/^TN:\s*/, "") ?? `SF:${f.file}`;
    const brda = (maps.get(f.file)?.branches ?? []).flatMap((b, i) =>
      b.arms.map((a, j) => `BRDA:${b.line},${i},${j},${hits.get(a.tag) ?? "-"}`),
    );
    lcovOut += `${record}\n${brda.join("\n")}\nBRF:${f.branches.found}\nBRH:${f.branches.hit}\nend_of_record\n`;
  }
  writeFileSync(path.join(COVERAGE, "lcov-branches.info"), lcovOut);

  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (problems.length > 0) {
    for (const p of problems) console.error(`coverage: FAIL, ${p}`);
    process.exit(1);
  }
  console.log(
    `coverage: OK, lines ${linePct.toFixed(2)} % (>= ${MIN_LINES}), branches ${branchPct.toFixed(2)} % ` +
      `(>= ${MIN_BRANCHES}); ${seconds} s in all`,
  );
}

main();
