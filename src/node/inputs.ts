/**
 * Job inputs: fetching the bytes behind a job's `inputURI` and checking them against the job's `inputDigest` (the
 * model's pipeline parses them).
 *
 * URI schemes: `data:` (RFC 2397, percent-encoded or `;base64`), `ipfs://CID[/path]` (from the configured gateways,
 * verified against the CID), `file://` URLs, plain paths (relative ones resolve against the node's input directory),
 * and `http(s)://` (fetched, with a size limit; the job's digest is what makes it trustworthy).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { keccak256 } from "ethers";
import { fetchIpfsFile } from "../ipfs/index.js";
import { Mode } from "../constants.js";
import type { HostedModel } from "./models.js";

/** Largest input the node fetches, in bytes (8 MiB: an image). */
export const MAX_INPUT_BYTES = 8 << 20;

/** The bytes at `uri`. Throws with a short reason when it cannot be fetched. */
export async function fetchInput(
  uri: string,
  inputDir: string = process.cwd(),
  gateways: string[] = [],
): Promise<Uint8Array> {
  if (uri.startsWith("data:")) return decodeDataUri(uri);
  if (uri.startsWith("ipfs://")) {
    const bytes = await fetchIpfsFile(uri, { gateways, maxBytes: MAX_INPUT_BYTES + (1 << 16) });
    if (bytes.length > MAX_INPUT_BYTES) throw new Error(`input larger than ${MAX_INPUT_BYTES} bytes`);
    return bytes;
  }
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

/**
 * Whether `digest` (a job's inputDigest) commits to these input bytes for `mode`: keccak256 of the bytes (TEE and
 * optimistic jobs), or the pipeline's ZK input digest (what ZK jobs need; also accepted for the other modes, since it
 * binds the same values).
 */
export function inputDigestOk(digest: string, bytes: Uint8Array, model: HostedModel, mode: number): boolean {
  const d = digest.toLowerCase();
  if (mode !== Mode.ZK && keccak256(bytes) === d) return true;
  const zk = model.pipeline.zkInputDigest;
  if (!zk) return false;
  try {
    return zk.call(model.pipeline, bytes, model.manifest).toLowerCase() === d;
  } catch {
    return false;
  }
}
