/**
 * An append-only on-disk job journal: one JSON object per line, each line written and fsync'd before `record`
 * returns, replayed on open. A node records what it did to each job (seen → claimed → computed → submitted →
 * settled, or skipped with a reason) and the follower's cursor, so after a crash or kill a new process with the same
 * journal neither loses a job nor submits one twice: it resumes each job from its last recorded state.
 *
 * Lines: `{"jobId":"…","state":"claimed","at":"…",…fields}` and `{"cursor":123,"at":"…"}`. Bigints are stored as
 * `{"$n":"123"}`. A torn last line (a crash mid-write) is ignored on replay.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync, existsSync } from "node:fs";
import path from "node:path";

/** The states of a job in the journal (a watcher may add its own, e.g. "challenged"). */
export type JobState =
  | "seen"
  | "claimed"
  | "computed"
  | "submitted"
  | "proposed"
  | "disputed"
  | "settled"
  | "refunded"
  | "skipped"
  | "failed"
  | (string & {});

/** States after which nothing more is done for a job. */
export const TERMINAL_STATES: ReadonlySet<string> = new Set(["settled", "refunded", "skipped", "failed"]);

/** One line of the journal about a job. */
export type JournalEntry = {
  jobId: bigint;
  state: JobState;
  /** ISO time the entry was written. */
  at: string;
  /** Why (for `skipped` and `failed`). */
  reason?: string;
  /** Anything else the writer needs to resume (job, claim, output, proof, txHash, …). */
  [field: string]: unknown;
};

/** A job's record: its last state, every entry, and the entries' fields merged (later ones win). */
export type JobRecord = {
  jobId: bigint;
  state: JobState;
  reason?: string;
  history: JournalEntry[];
  data: Record<string, unknown>;
};

function replacer(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? { $n: v.toString() } : v;
}

function reviver(_k: string, v: unknown): unknown {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "$n" && typeof (v as { $n: unknown }).$n === "string")
      return BigInt((v as { $n: string }).$n);
  }
  return v;
}

export class JobJournal {
  private readonly records = new Map<bigint, JobRecord>();
  private cursorValue?: number;
  private fd?: number;
  /** Lines that could not be parsed on replay (a torn last line). */
  readonly ignoredLines: number;

  private constructor(
    readonly file: string,
    lines: string[],
  ) {
    let ignored = 0;
    for (const line of lines) {
      if (line.trim() === "") continue;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line, reviver) as Record<string, unknown>;
      } catch {
        ignored++;
        continue;
      }
      this.apply(entry);
    }
    this.ignoredLines = ignored;
  }

  /** Opens (creating it and its directory if needed) and replays the journal at `file`. */
  static open(file: string): JobJournal {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const text = existsSync(file) ? readFileSync(file, "utf8") : "";
    const j = new JobJournal(file, text.split("\n"));
    j.fd = openSync(file, "a");
    // A torn last line would glue onto the next entry: start on a fresh line.
    if (text.length > 0 && !text.endsWith("\n")) j.write("");
    return j;
  }

  /** The follower's cursor last recorded (the next block to read), if any. */
  get cursor(): number | undefined {
    return this.cursorValue;
  }

  /** Records the follower's cursor (only when it moved). */
  setCursor(cursor: number): void {
    if (cursor === this.cursorValue) return;
    this.write(JSON.stringify({ cursor, at: new Date().toISOString() }));
    this.cursorValue = cursor;
  }

  /** Appends a state of `jobId` with `fields`, fsync'd before it returns. */
  record(jobId: bigint, state: JobState, fields: Record<string, unknown> = {}): JobRecord {
    const entry = { ...fields, jobId, state, at: new Date().toISOString() };
    this.write(JSON.stringify(entry, replacer));
    return this.apply(JSON.parse(JSON.stringify(entry, replacer), reviver) as Record<string, unknown>)!;
  }

  /** A job's record, or undefined if the journal never saw it. */
  get(jobId: bigint): JobRecord | undefined {
    return this.records.get(jobId);
  }

  /** The last state of `jobId`, or undefined. */
  stateOf(jobId: bigint): JobState | undefined {
    return this.records.get(jobId)?.state;
  }

  /** Every job's record, in the order first seen. */
  jobs(): JobRecord[] {
    return [...this.records.values()];
  }

  /** Jobs whose last state is not terminal (what a restarted node resumes). */
  pending(): JobRecord[] {
    return this.jobs().filter((r) => !TERMINAL_STATES.has(r.state));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private write(line: string): void {
    if (this.fd === undefined) throw new Error(`journal ${this.file} is closed`);
    writeSync(this.fd, line + "\n");
    fsyncSync(this.fd);
  }

  private apply(raw: Record<string, unknown>): JobRecord | undefined {
    if (typeof raw.cursor === "number") {
      this.cursorValue = raw.cursor;
      return undefined;
    }
    if (raw.jobId === undefined || typeof raw.state !== "string") return undefined;
    const entry = { ...raw, jobId: BigInt(raw.jobId as bigint | string) } as JournalEntry;
    const { jobId, state, at: _at, ...fields } = entry;
    let r = this.records.get(jobId);
    if (!r) {
      r = { jobId, state, history: [], data: {} };
      this.records.set(jobId, r);
    }
    r.state = state;
    r.reason = entry.reason;
    r.history.push(entry);
    Object.assign(r.data, fields);
    return r;
  }
}
