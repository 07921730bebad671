/**
 * Branch-coverage rewrite of a Solidity source, applied (only in `--coverage` builds) before Hardhat's own statement
 * instrumentation, so that every branch becomes a statement that Hardhat tags and counts:
 *
 *   require(c, E(x));   ->  if (!(c)) { require(false, E(x)); } else { }
 *   if (c) S            ->  if (c) S else { }
 *   try ... { A } catch { B }  ->  try ... { {} A } catch { {} B }
 *
 * Each `if`/`require` is two branches (taken / not taken), each try/catch clause one branch. Ternaries (`c ? a : b`),
 * short-circuit `&&`/`||`, loop conditions and Yul (`assembly`) `if`/`switch` are not branches here.
 *
 * The rewrite keeps the original text of every condition, error and statement and records where each piece of the
 * output came from (`segments`), so positions Hardhat reports on the rewritten source map back to the original file
 * (see `toOriginalStart`/`toOriginalEnd`). The error arguments of a `require` are evaluated only when it fails in the
 * rewritten form; Solidity evaluates them either way, which differs only if they have side effects.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** Where a piece of the rewritten source came from. `head` is the first synthetic piece of a replaced statement. */
export interface Segment {
  r0: number;
  r1: number;
  o0: number;
  o1: number;
  kind: "verbatim" | "head" | "synthetic";
}

export interface BranchArm {
  label: string;
  /** Offset (UTF-16) in the rewritten source of the first character of the statement that runs on this branch. */
  rStart: number;
}

export interface BranchPoint {
  kind: "if" | "require" | "try";
  /** 1-based line in the original source. */
  line: number;
  arms: BranchArm[];
}

export interface Rewrite {
  source: string;
  segments: Segment[];
  branches: BranchPoint[];
}

interface AstNode {
  nodeType: string;
  src: string;
  [key: string]: unknown;
}

interface Edit {
  o0: number;
  o1: number;
  /** Pieces of the replacement: text is synthetic, [start, end] copies the original verbatim. */
  pieces: Array<string | [number, number]>;
  /** Nesting order for insertions at the same position: the inner (later-starting) node first. */
  order: number;
  /** Called with the rewritten offset of each piece once the output is laid out. */
  onLayout?: (pieceStarts: number[]) => void;
}

/** Parses `source` with the project's solc (parsing only, imports unresolved) and returns the AST. */
export function parseSolidity(sourceName: string, source: string): AstNode {
  const solc = require("solc") as { compile(input: string): string };
  const input = {
    language: "Solidity",
    sources: { [sourceName]: { content: source } },
    settings: { stopAfter: "parsing", outputSelection: { "*": { "": ["ast"] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: Array<{ severity: string; formattedMessage: string }>;
    sources?: Record<string, { ast: AstNode }>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0 || output.sources?.[sourceName] === undefined) {
    throw new Error(`cannot parse ${sourceName}:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  }
  return output.sources[sourceName].ast;
}

/** Index just past whitespace and comments starting at `i`. */
export function skipTrivia(text: string, i: number, end = text.length): number {
  for (;;) {
    while (i < end && /\s/.test(text[i])) i++;
    if (text.startsWith("//", i)) {
      while (i < end && text[i] !== "\n") i++;
    } else if (text.startsWith("/*", i)) {
      const close = text.indexOf("*/", i + 2);
      i = close < 0 ? end : close + 2;
    } else {
      return Math.min(i, end);
    }
  }
}

/** Index just past the last character of code (not whitespace, not a comment) in text[start, end). */
export function codeEnd(text: string, start: number, end: number): number {
  let last = start;
  let i = start;
  while (i < end) {
    const c = text[i];
    if (text.startsWith("//", i)) {
      while (i < end && text[i] !== "\n") i++;
    } else if (text.startsWith("/*", i)) {
      const close = text.indexOf("*/", i + 2);
      i = close < 0 ? end : close + 2;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < end && text[i] !== c) i += text[i] === "\\" ? 2 : 1;
      i++;
      last = Math.min(i, end);
    } else {
      i++;
      last = i;
    }
  }
  return last;
}

/** UTF-8 byte offset -> UTF-16 index, for solc `src` fields. */
function byteToUtf16Map(source: string): (byte: number) => number {
  if (!/[^\x00-\x7f]/.test(source)) return (b) => b;
  const map: number[] = [];
  let u = 0;
  for (const ch of source) {
    const bytes = Buffer.byteLength(ch, "utf8");
    for (let k = 0; k < bytes; k++) map.push(u);
    u += ch.length;
  }
  map.push(u);
  return (b) => map[b];
}

function walk(node: unknown, visit: (n: AstNode) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
  } else if (node !== null && typeof node === "object") {
    const n = node as AstNode;
    if (typeof n.nodeType === "string") visit(n);
    for (const value of Object.values(n)) if (value !== null && typeof value === "object") walk(value, visit);
  }
}

export function rewriteForBranchCoverage(source: string, ast: AstNode): Rewrite {
  const toUtf16 = byteToUtf16Map(source);
  const span = (n: AstNode): [number, number] => {
    const [s, l] = n.src.split(":").map(Number);
    return [toUtf16(s), toUtf16(s + l)];
  };
  /** End of a statement including its terminating `;` (solc's `src` leaves it out of simple statements). */
  const statementEnd = (n: AstNode): number => {
    const end = span(n)[1];
    if (source[end - 1] === "}") return end;
    const next = skipTrivia(source, end);
    return source[next] === ";" ? next + 1 : end;
  };
  const lineOf = (offset: number): number => source.slice(0, offset).split("\n").length;

  const edits: Edit[] = [];
  const branches: BranchPoint[] = [];
  /** Arms whose statement is original text: their rewritten offset is resolved after layout. */
  const pendingArms: Array<{ arm: BranchArm; o: number }> = [];

  walk(ast, (n) => {
    if (n.nodeType === "ExpressionStatement") {
      const call = n.expression as AstNode & { expression?: AstNode & { name?: string }; arguments?: AstNode[] };
      if (call?.nodeType !== "FunctionCall" || call.expression?.nodeType !== "Identifier") return;
      if (call.expression.name !== "require") return;
      const args = call.arguments ?? [];
      const [s] = span(n);
      const e = statementEnd(n);
      const [c0, c1] = span(args[0]);
      const point: BranchPoint = { kind: "require", line: lineOf(s), arms: [] };
      branches.push(point);
      const pieces: Edit["pieces"] = ["if (!(", [c0, c1]];
      if (args.length > 1) {
        const [m0, m1] = span(args[1]);
        pieces.push(")) { require(false, ", [m0, m1], "); } else { }");
      } else {
        pieces.push(")) { require(false); } else { }");
      }
      edits.push({
        o0: s,
        o1: e,
        pieces,
        order: s,
        onLayout: (starts) => {
          const thenText = pieces[2] as string;
          const elseText = pieces[pieces.length - 1] as string;
          point.arms.push(
            { label: "revert", rStart: starts[2] + thenText.indexOf("{") },
            { label: "pass", rStart: starts[pieces.length - 1] + elseText.lastIndexOf("{") },
          );
        },
      });
    } else if (n.nodeType === "IfStatement") {
      const trueBody = n.trueBody as AstNode;
      const falseBody = n.falseBody as AstNode | null;
      const [s] = span(n);
      const point: BranchPoint = { kind: "if", line: lineOf(s), arms: [] };
      branches.push(point);
      const thenArm: BranchArm = { label: "then", rStart: -1 };
      point.arms.push(thenArm);
      pendingArms.push({ arm: thenArm, o: span(trueBody)[0] });
      if (falseBody) {
        const elseArm: BranchArm = { label: "else", rStart: -1 };
        point.arms.push(elseArm);
        pendingArms.push({ arm: elseArm, o: span(falseBody)[0] });
      } else {
        const at = statementEnd(trueBody);
        const text = " else { }";
        edits.push({
          o0: at,
          o1: at,
          pieces: [text],
          order: s,
          onLayout: (starts) => point.arms.push({ label: "else", rStart: starts[0] + text.indexOf("{") }),
        });
      }
    } else if (n.nodeType === "TryStatement") {
      const [s] = span(n);
      const point: BranchPoint = { kind: "try", line: lineOf(s), arms: [] };
      branches.push(point);
      for (const [i, clause] of (n.clauses as AstNode[]).entries()) {
        const block = clause.block as AstNode;
        const at = span(block)[0] + 1; // just inside `{`
        const text = " {}";
        const arm: BranchArm = { label: i === 0 ? "success" : `catch${i}`, rStart: -1 };
        point.arms.push(arm);
        edits.push({ o0: at, o1: at, pieces: [text], order: at, onLayout: (starts) => (arm.rStart = starts[0] + 1) });
      }
    }
  });

  // Lay out: edits never overlap (a require is replaced whole and holds no statement; insertions are points). At one
  // position, insertions go before a replacement that starts there, and inner insertions before outer ones.
  edits.sort((a, b) => a.o0 - b.o0 || a.o1 - a.o0 - (b.o1 - b.o0) || b.order - a.order);
  const segments: Segment[] = [];
  let out = "";
  let cursor = 0;
  const copy = (o0: number, o1: number) => {
    if (o1 <= o0) return;
    segments.push({ r0: out.length, r1: out.length + (o1 - o0), o0, o1, kind: "verbatim" });
    out += source.slice(o0, o1);
  };
  for (const edit of edits) {
    if (edit.o0 < cursor) throw new Error(`overlapping coverage edits at offset ${edit.o0}`);
    copy(cursor, edit.o0);
    cursor = edit.o0;
    const starts: number[] = [];
    // Synthetic pieces map to the original text between the verbatim pieces around them.
    for (let [i, piece] of edit.pieces.entries()) {
      starts.push(out.length);
      if (typeof piece === "string") {
        const next = edit.pieces.slice(i + 1).find((p) => typeof p !== "string") as [number, number] | undefined;
        const o1 = next ? next[0] : edit.o1;
        // Keep the line breaks of the replaced text, so every line keeps its number (compiler messages, reports).
        piece += "\n".repeat(source.slice(cursor, o1).split("\n").length - 1);
        segments.push({
          r0: out.length,
          r1: out.length + piece.length,
          o0: cursor,
          o1,
          kind: i === 0 && edit.o1 > edit.o0 ? "head" : "synthetic",
        });
        out += piece;
        cursor = o1;
      } else {
        copy(piece[0], piece[1]);
        cursor = piece[1];
      }
    }
    cursor = edit.o1;
    edit.onLayout?.(starts);
  }
  copy(cursor, source.length);

  const rewrite: Rewrite = { source: out, segments, branches };
  for (const { arm, o } of pendingArms) arm.rStart = toRewrittenStart(rewrite, o);
  return rewrite;
}

function segmentAt(rw: Rewrite, r: number, endSide: boolean): Segment | undefined {
  // Binary search on r0 (segments are contiguous and ordered).
  const segs = rw.segments;
  let lo = 0;
  let hi = segs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = segs[mid];
    const inside = endSide ? s.r0 < r && r <= s.r1 : s.r0 <= r && r < s.r1;
    if (inside) return s;
    if (endSide ? s.r1 < r : s.r1 <= r) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** Original offset of a statement range that starts at rewritten offset r. */
export function toOriginalStart(rw: Rewrite, r: number): number {
  const s = segmentAt(rw, r, false);
  if (s === undefined) return r >= rw.source.length ? (rw.segments.at(-1)?.o1 ?? 0) : 0;
  return s.kind === "verbatim" ? s.o0 + (r - s.r0) : s.o0;
}

/** Original offset of a statement range that ends at rewritten offset r. */
export function toOriginalEnd(rw: Rewrite, r: number): number {
  const s = segmentAt(rw, r, true);
  if (s === undefined) return 0;
  return s.kind === "verbatim" ? s.o0 + (r - s.r0) : s.o1;
}

/** Rewritten offset of original offset o, where o is the first character of a statement. */
export function toRewrittenStart(rw: Rewrite, o: number): number {
  for (const s of rw.segments) {
    if (s.kind === "verbatim" && s.o0 <= o && o < s.o1) return s.r0 + (o - s.o0);
    if (s.kind === "head" && s.o0 === o) return s.r0;
  }
  throw new Error(`offset ${o} is not the start of an original statement`);
}

/**
 * Whether a statement Hardhat tagged at rewritten range [r0, r1) is one of the original statements (kept in Hardhat's
 * own report) rather than one the rewrite added (used only for branches). A statement is original when its first
 * character is original text, or is the start of a replaced `require` (then it stands for that `require`).
 */
export function isOriginalStatement(rw: Rewrite, r0: number, r1: number): boolean {
  const first = skipTrivia(rw.source, r0, r1);
  const s = segmentAt(rw, first, false);
  return s !== undefined && (s.kind === "verbatim" || (s.kind === "head" && s.r0 === first));
}

/** A statement as Hardhat records it (positions in UTF-16 code units). */
export interface Statement {
  tag: string;
  startUtf16: number;
  endUtf16: number;
}

export interface MappedBranch {
  kind: BranchPoint["kind"];
  line: number;
  /** The original line, trimmed (for reports). */
  source: string;
  arms: Array<{ label: string; tag: string }>;
}

function trimmedRange(text: string, start: number, end: number): string {
  const s = skipTrivia(text, start, end);
  return `${s}-${codeEnd(text, s, end)}`;
}

/**
 * The statements Hardhat tagged in the rewritten source -> (a) the original statements, with positions in the original
 * source, and (b) each branch with the tag of each of its sides. `reference` is an instrumentation of the original
 * source: the kept statements must cover exactly the same code, so the rewrite cannot change a line figure (the check
 * is skipped when `reference` is undefined).
 */
export function translateStatements<T extends Statement>(
  fileName: string,
  original: string,
  rw: Rewrite,
  statements: T[],
  reference: Statement[] | undefined,
): { kept: T[]; branches: MappedBranch[] } {
  const kept: T[] = [];
  const tagAt = new Map<number, string>();
  for (const m of statements) {
    tagAt.set(skipTrivia(rw.source, m.startUtf16, m.endUtf16), m.tag);
    if (isOriginalStatement(rw, m.startUtf16, m.endUtf16)) {
      kept.push({ ...m, startUtf16: toOriginalStart(rw, m.startUtf16), endUtf16: toOriginalEnd(rw, m.endUtf16) });
    }
  }
  const want = (reference ?? []).map((m) => trimmedRange(original, m.startUtf16, m.endUtf16)).sort();
  const got = kept.map((m) => trimmedRange(original, m.startUtf16, m.endUtf16)).sort();
  if (reference !== undefined && want.join() !== got.join()) {
    const describe = (r: string) => {
      const [s, e] = r.split("-").map(Number);
      return JSON.stringify(original.slice(s, e).slice(0, 60));
    };
    const missing = want
      .filter((x) => !got.includes(x))
      .slice(0, 3)
      .map(describe);
    const extra = got
      .filter((x) => !want.includes(x))
      .slice(0, 3)
      .map(describe);
    throw new Error(
      `branch coverage: the statements of the rewritten ${fileName} do not map back to the original ` +
        `(${want.length} expected, ${got.length} mapped; missing ${missing.join(", ")}; extra ${extra.join(", ")}). ` +
        `Fix scripts/coverage/rewrite.ts for this construct.`,
    );
  }
  const lines = original.split("\n");
  const branches = rw.branches.map((b) => ({
    kind: b.kind,
    line: b.line,
    source: lines[b.line - 1].trim(),
    arms: b.arms.map((arm) => {
      const tag = tagAt.get(arm.rStart);
      if (tag === undefined) {
        throw new Error(
          `branch coverage: Hardhat did not tag the ${arm.label} side of the ${b.kind} at ${fileName}:${b.line}; ` +
            `the rewrite no longer matches Hardhat's instrumentation.`,
        );
      }
      return { label: arm.label, tag };
    }),
  }));
  return { kept, branches };
}
