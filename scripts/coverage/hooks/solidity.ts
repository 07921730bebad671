import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { addStatementCoverageInstrumentation, latestSupportedSolidityVersion } from "@nomicfoundation/edr";
import type { HookContext, SolidityHooks } from "hardhat/types/hooks";
import { parseSolidity, rewriteForBranchCoverage, translateStatements, type Rewrite } from "../rewrite.js";

/** Where the branch maps go, relative to the project root (read by scripts/coverage/check.ts). */
export const BRANCH_MAP_DIR = path.join("coverage", "branch-map");

/** Files rewritten for branch coverage: project sources under contracts/, mocks excepted. */
function inScope(relativePath: string): boolean {
  const p = relativePath.split(path.sep).join("/");
  return p.startsWith("contracts/") && !p.startsWith("contracts/mocks/") && p.endsWith(".sol");
}

interface StatementMetadata {
  relativePath: string;
  tag: string;
  startUtf16: number;
  endUtf16: number;
}

/** The part of Hardhat's (internal) coverage manager this plugin relies on; checked at run time. */
interface CoverageManagerLike {
  addMetadata(metadata: StatementMetadata[]): Promise<void>;
  __veritasBranches?: true;
}

interface FileRewrite {
  relativePath: string;
  original: string;
  sha256: string;
  rewrite: Rewrite;
  instrumentationVersion: string;
}

const rewrites = new Map<string, FileRewrite>(); // key: relativePath
const cache = new Map<string, Rewrite>(); // key: sourceName + content hash
const written = new Set<string>(); // relativePath + hash

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The Solidity version Hardhat instruments with (instrumentation.js: the job's version, capped at EDR's latest). */
function instrumentationVersion(solcVersion: string): string {
  const latest = latestSupportedSolidityVersion();
  const parse = (v: string) => v.split(".").map(Number);
  const [a, b] = [parse(solcVersion), parse(latest)];
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? solcVersion : latest;
  return solcVersion;
}

/** Hardhat's instrumentation of the original source (what it would record without the rewrite). */
export function referenceStatements(file: { original: string; relativePath: string; instrumentationVersion: string }) {
  return addStatementCoverageInstrumentation(file.original, file.relativePath, file.instrumentationVersion)
    .metadata.filter((m) => m.kind === "statement")
    .map((m) => ({ tag: Buffer.from(m.tag).toString("hex"), startUtf16: m.startUtf16, endUtf16: m.endUtf16 }));
}

/**
 * Hardhat's statements for one rewritten file -> the statements of the original file, and the branch map, written
 * once per file content. Throws (failing the build) when the kept statements differ from an instrumentation of the
 * original source, so the line figures Hardhat reports can never be skewed by the rewrite.
 */
async function translate(root: string, file: FileRewrite, list: StatementMetadata[]): Promise<StatementMetadata[]> {
  const key = `${file.relativePath}:${file.sha256}`;
  const reference = written.has(key) ? undefined : referenceStatements(file);
  const { kept, branches } = translateStatements(file.relativePath, file.original, file.rewrite, list, reference);
  if (!written.has(key)) {
    const dir = path.join(root, BRANCH_MAP_DIR);
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, `${file.relativePath.split(path.sep).join("__")}.json`),
      JSON.stringify({ file: file.relativePath, sha256: file.sha256, statements: kept.length, branches }, null, 1),
    );
    written.add(key);
  }
  return kept;
}

function installTranslator(context: HookContext): void {
  const manager = (context as unknown as { _coverage?: CoverageManagerLike })._coverage;
  if (manager === undefined || typeof manager.addMetadata !== "function") {
    throw new Error(
      "branch coverage: Hardhat's coverage manager (hre._coverage.addMetadata) is not where this plugin expects it; " +
        "check scripts/coverage/hooks/solidity.ts against the installed Hardhat version.",
    );
  }
  if (manager.__veritasBranches) return;
  const addMetadata = manager.addMetadata.bind(manager);
  const root = context.config.paths.root;
  manager.addMetadata = async (metadata: StatementMetadata[]) => {
    const byFile = new Map<string, StatementMetadata[]>();
    for (const m of metadata) byFile.set(m.relativePath, [...(byFile.get(m.relativePath) ?? []), m]);
    const out: StatementMetadata[] = [];
    for (const [relativePath, list] of byFile) {
      const file = rewrites.get(relativePath);
      out.push(...(file === undefined ? list : await translate(root, file, list)));
    }
    await addMetadata(out);
  };
  manager.__veritasBranches = true;
}

export default async (): Promise<Partial<SolidityHooks>> => ({
  preprocessProjectFileBeforeBuilding: async (context, sourceName, fsPath, fileContent, solcVersion, next) => {
    if (!context.globalOptions.coverage) return next(context, sourceName, fsPath, fileContent, solcVersion);
    const root = context.config.paths.root;
    const relativePath = path.relative(root, fsPath);
    const skipped = context.config.coverage.skipFiles.some((glob) =>
      path.matchesGlob(relativePath.split(path.sep).join("/"), glob),
    );
    if (!inScope(relativePath) || skipped || (await context.solidity.getScope(fsPath)) === "tests") {
      return next(context, sourceName, fsPath, fileContent, solcVersion);
    }
    installTranslator(context);
    const hash = sha256(fileContent);
    let rewrite = cache.get(`${sourceName}:${hash}`);
    if (rewrite === undefined) {
      rewrite = rewriteForBranchCoverage(fileContent, parseSolidity(sourceName, fileContent));
      cache.set(`${sourceName}:${hash}`, rewrite);
    }
    const file: FileRewrite = {
      relativePath,
      original: fileContent,
      sha256: hash,
      rewrite,
      instrumentationVersion: instrumentationVersion(solcVersion),
    };
    rewrites.set(relativePath, file);
    const result = await next(context, sourceName, fsPath, rewrite.source, solcVersion);
    // A file without statements gets no metadata from Hardhat: record it (and check it has no branches) anyway.
    if (!written.has(`${relativePath}:${hash}`)) await translate(root, file, []);
    return result;
  },
});
