/**
 * An append-only job journal: one JSON object per line, each line written and fsync'd before `record` returns,
 * replayed on open. A node records what it did to each job (seen → claimed → computed → submitted → settled, or
 * skipped with a reason) and the follower's cursor, so after a crash or kill a new process with the same journal
 * neither loses a job nor submits one twice: it resumes each job from its last recorded state. The watcher keeps its
 * own states (challenged → resolved, correct, skipped, arbitrated) in a journal of the same kind.
 *
 * Lines: `{"jobId":"…","state":"claimed","at":"…",…fields}` and `{"cursor":123,"at":"…"}`. Bigints are stored as
 * `{"$n":"123"}`. A torn last line (a crash mid-write) is ignored on replay.
 *
 * The journal is typed by its writer: `JobJournal<S, F>` takes the writer's states `S` and the fields `F` its entries
 * carry (`record(jobId, state, fields)` accepts any part of `F`; a job's `data` is every entry's fields merged).
 * `JobJournal.memory()` keeps the same records in memory only (nothing survives the process).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync, existsSync } from "node:fs";
import path from "node:path";

/** The operator's job states (the default `S` of a journal). */
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
  | "failed";

/** The operator's states after which nothing more is done for a job (the default terminal set). */
export const TERMINAL_STATES: ReadonlySet<string> = new Set<JobState>(["settled", "refunded", "skipped", "failed"]);

/**
 * The fields a writer journals about its jobs: JSON values and bigints. `jobId`, `state` and `at` are the journal's
 * own keys (its values win over fields of those names); `reason` is always allowed (for `skipped` and `failed`).
 */
export type JournalFields = Record<string, unknown>;

/** What one entry carries besides the journal's keys: any of the writer's fields, and a reason. */
export type EntryFields<F extends JournalFields> = Partial<F> & { reason?: string };

/** One line of the journal about a job. */
export type JournalEntry<S extends string = JobState, F extends JournalFields = JournalFields> = EntryFields<F> & {
  jobId: bigint;
  state: S;
  /** ISO time the entry was written. */
  at: string;
};

/** A job's record: its last state (and that entry's reason), every entry, and the entries' fields merged. */
export type JobRecord<S extends string = JobState, F extends JournalFields = JournalFields> = {
  jobId: bigint;
  state: S;
  reason?: string;
  history: JournalEntry<S, F>[];
  /** Every entry's fields merged, later ones winning. */
  data: EntryFields<F>;
};

export type JournalOptions<S extends string> = {
  /** States after which nothing more is done for a job (what `pending()` leaves out). Default `TERMINAL_STATES`. */
  terminal?: Iterable<S>;
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

export class JobJournal<S extends string = JobState, F extends JournalFields = JournalFields> {
  private readonly records = new Map<bigint, JobRecord<S, F>>();
  private readonly terminal: ReadonlySet<string>;
  private cursorValue?: number;
  private fd?: number;
  private closed = false;
  /** Lines that could not be parsed on replay (a torn last line). */
  readonly ignoredLines: number;

  private constructor(
    /** The journal's file (undefined for a journal in memory). */
    readonly file: string | undefined,
    lines: string[],
    opts: JournalOptions<S>,
  ) {
    this.terminal = new Set<string>(opts.terminal ?? TERMINAL_STATES);
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
  static open<S extends string = JobState, F extends JournalFields = JournalFields>(
    file: string,
    opts: JournalOptions<S> = {},
  ): JobJournal<S, F> {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const text = existsSync(file) ? readFileSync(file, "utf8") : "";
    const j = new JobJournal<S, F>(file, text.split("\n"), opts);
    j.fd = openSync(file, "a");
    // A torn last line would glue onto the next entry: start on a fresh line.
    if (text.length > 0 && !text.endsWith("\n")) j.write("");
    return j;
  }

  /** A journal kept in memory only: the same records and cursor as a file's, lost with the process. */
  static memory<S extends string = JobState, F extends JournalFields = JournalFields>(
    opts: JournalOptions<S> = {},
  ): JobJournal<S, F> {
    return new JobJournal<S, F>(undefined, [], opts);
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
  record(jobId: bigint, state: S, fields: EntryFields<F> = {}): JobRecord<S, F> {
    const line = JSON.stringify({ ...fields, jobId, state, at: new Date().toISOString() }, replacer);
    this.write(line);
    // Applied as read back, so a journal in memory holds what a replay of its file would.
    return this.apply(JSON.parse(line, reviver) as Record<string, unknown>)!;
  }

  /** A job's record, or undefined if the journal never saw it. */
  get(jobId: bigint): JobRecord<S, F> | undefined {
    return this.records.get(jobId);
  }

  /** The last state of `jobId`, or undefined. */
  stateOf(jobId: bigint): S | undefined {
    return this.records.get(jobId)?.state;
  }

  /** Every job's record, in the order first seen. */
  jobs(): JobRecord<S, F>[] {
    return [...this.records.values()];
  }

  /** Jobs whose last state is not terminal (what a restarted node resumes). */
  pending(): JobRecord<S, F>[] {
    return this.jobs().filter((r) => !this.terminal.has(r.state));
  }

  /** Closes the file; nothing more can be recorded (a journal in memory, too). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.closed = true;
  }

  private write(line: string): void {
    if (this.closed) throw new Error(`journal ${this.file ?? "(in memory)"} is closed`);
    if (this.fd === undefined) return; // in memory
    writeSync(this.fd, line + "\n");
    fsyncSync(this.fd);
  }

  private apply(raw: Record<string, unknown>): JobRecord<S, F> | undefined {
    if (raw.jobId === undefined) {
      if (typeof raw.cursor === "number") this.cursorValue = raw.cursor;
      return undefined;
    }
    if (typeof raw.state !== "string") return undefined;
    // What this journal's writer recorded: its states and fields (the file is trusted as the writer's own).
    const entry = { ...raw, jobId: BigInt(raw.jobId as bigint | string) } as JournalEntry<S, F>;
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
