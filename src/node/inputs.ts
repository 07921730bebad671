/**
 * Job inputs: fetching the bytes behind a job's `inputURI`, parsing them as the reference model's input, and checking
 * them against the job's `inputDigest`.
 *
 * URI schemes: `data:` (RFC 2397, percent-encoded or `;base64`), `file://` URLs, plain paths (relative ones resolve
 * against the node's input directory), and `http(s)://` (fetched, with a size limit).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { keccak256 } from "ethers";
import { inputCommitment, toBytes32 } from "../../scripts/lib/zk/commitment.js";

/** Largest input the node fetches, in bytes. */
export const MAX_INPUT_BYTES = 1 << 20;

/** The bytes at `uri`. Throws with a short reason when it cannot be fetched. */
export async function fetchInput(uri: string, inputDir: string = process.cwd()): Promise<Uint8Array> {
  if (uri.startsWith("data:")) return decodeDataUri(uri);
  if (uri.startsWith("file:")) return readLocal(fileURLToPath(uri));
  if (uri.startsWith("http://") || uri.startsWith("https://")) {
    const res = await fetch(uri, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${uri}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length > MAX_INPUT_BYTES) throw new Error(`input larger than ${MAX_INPUT_BYTES} bytes`);
    return bytes;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) throw new Error(`unsupported input URI scheme: ${uri.split(":")[0]}`);
  if (uri === "") throw new Error("the job has no input URI");
  return readLocal(path.resolve(inputDir, uri));
}

async function readLocal(file: string): Promise<Uint8Array> {
  const bytes = await readFile(file);
  if (bytes.length > MAX_INPUT_BYTES) throw new Error(`input larger than ${MAX_INPUT_BYTES} bytes`);
  return new Uint8Array(bytes);
}

function decodeDataUri(uri: string): Uint8Array {
  const comma = uri.indexOf(",");
  if (comma < 0) throw new Error("malformed data: URI");
  const meta = uri.slice(5, comma);
  const body = uri.slice(comma + 1);
  if (meta.split(";").includes("base64")) return new Uint8Array(Buffer.from(body, "base64"));
  return new TextEncoder().encode(decodeURIComponent(body));
}

/** The reference model's input in `bytes`: a JSON array of 8 int8 values, or `{ "input": [...] }`. */
export function parseModelInput(bytes: Uint8Array): number[] {
  const value = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  const arr = Array.isArray(value) ? value : (value as { input?: unknown })?.input;
  if (!Array.isArray(arr) || !arr.every((v) => Number.isInteger(v) && v >= -128 && v <= 127)) {
    throw new Error("input is not an array of int8 values");
  }
  return arr as number[];
}

/**
 * Whether `digest` (a job's inputDigest) commits to this input: either the Poseidon input commitment of the values
 * (what ZK jobs need, and what the demo uses) or keccak256 of the fetched bytes (what `VeritasClient` computes from
 * `input`).
 */
export function inputDigestMatches(digest: string, bytes: Uint8Array, input: readonly number[]): boolean {
  const d = digest.toLowerCase();
  if (keccak256(bytes) === d) return true;
  try {
    return toBytes32(inputCommitment(input)) === d;
  } catch {
    return false;
  }
}
