/**
 * Canonical JSON (RFC 8785, JSON Canonicalization Scheme): object keys sorted by UTF-16 code units, no white space,
 * strings and numbers as ECMAScript's `JSON.stringify` writes them. Two parties that canonicalize the same value get
 * the same bytes, which is what manifest digests and model outputs need.
 */
import { ModelError } from "./types.js";

/** The canonical JSON text of `value`. Refuses values JSON cannot carry exactly (NaN, ±Infinity, bigint, undefined). */
export function canonicalJson(value: unknown): string {
  return write(value, "$");
}

/** UTF-8 bytes of `canonicalJson(value)`. */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

function write(v: unknown, at: string): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "string":
      return JSON.stringify(v);
    case "number":
      if (!Number.isFinite(v)) throw new ModelError("BAD_OUTPUT", `${at}: ${v} has no JSON form`);
      return JSON.stringify(v);
    case "object": {
      if (Array.isArray(v)) return `[${v.map((x, i) => write(x, `${at}[${i}]`)).join(",")}]`;
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${write(o[k], `${at}.${k}`)}`).join(",")}}`;
    }
    default:
      throw new ModelError("BAD_OUTPUT", `${at}: a ${typeof v} has no JSON form`);
  }
}

/** Parses JSON bytes and checks they are in canonical form (what a node or a client accepts as a canonical output). */
export function parseCanonicalJson(bytes: Uint8Array, what = "output"): unknown {
  let value: unknown;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    value = JSON.parse(text);
  } catch (e) {
    throw new ModelError("BAD_OUTPUT", `${what} is not JSON: ${(e as Error).message}`);
  }
  if (canonicalJson(value) !== text) throw new ModelError("BAD_OUTPUT", `${what} is not canonical JSON`);
  return value;
}
