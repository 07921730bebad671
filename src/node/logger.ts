/** A small structured logger: one JSON object per line (`{"t":…,"level":…,"msg":…,…fields}`). */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** JSON values of fields: bigints as decimal strings. */
function replacer(_key: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}

/**
 * A JSON-lines logger writing to `write` (default stderr) at `level` and above, with `base` fields on every line
 * (e.g. `{ node: "0x…" }`).
 */
export function jsonLogger(
  level: LogLevel = "info",
  base: LogFields = {},
  write: (line: string) => void = (line) => process.stderr.write(line + "\n"),
): Logger {
  const emit =
    (l: LogLevel) =>
    (msg: string, fields: LogFields = {}) => {
      if (RANK[l] < RANK[level]) return;
      write(JSON.stringify({ t: new Date().toISOString(), level: l, msg, ...base, ...fields }, replacer));
    };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
