/**
 * Content addressing for Veritas: IPFS CIDs of bundles and inputs, computed with the maintained IPFS libraries
 * (`ipfs-unixfs-importer` with the IPIP-499 profile `unixfs-v1-2025`: CIDv1, raw leaves, 1 MiB chunks, sha2-256), and
 * verified retrieval from HTTP gateways: a node asks a gateway for the CAR of a CID (the trustless gateway format,
 * `?format=car`), checks every block's hash against its CID before it keeps it, and reads the files out of the
 * verified blocks. A gateway that returns other bytes is caught; nothing unverified is ever used.
 */
import { CarReader, CarWriter } from "@ipld/car";
import * as dagPb from "@ipld/dag-pb";
import { MemoryBlockstore } from "blockstore-core/memory";
import { exporter, recursive } from "ipfs-unixfs-exporter";
import { importer, type ImportCandidate, type ImporterOptions } from "ipfs-unixfs-importer";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { ModelError } from "../models/types.js";

/** The import settings every CID in Veritas is computed with (documented in docs/publishing-a-model.md). */
export const IMPORT_OPTIONS: ImporterOptions = { profile: "unixfs-v1-2025" };

/** A blockstore as the importer and exporter use it. */
export type Blocks = MemoryBlockstore;

/** A new in-memory blockstore. */
export function newBlockstore(): Blocks {
  return new MemoryBlockstore();
}

async function lastCid(entries: AsyncIterable<{ cid: CID }>): Promise<CID> {
  let last: CID | undefined;
  for await (const e of entries) last = e.cid;
  if (!last) throw new Error("nothing imported");
  return last;
}

/** Imports `bytes` as one UnixFS file; returns its CID. */
export async function addBytes(bytes: Uint8Array, blocks: Blocks = newBlockstore()): Promise<CID> {
  return lastCid(importer([{ content: bytes }], blocks, IMPORT_OPTIONS));
}

/** Imports files (relative path → bytes) as one UnixFS directory; returns the directory's CID. */
export async function addDirectory(files: Record<string, Uint8Array>, blocks: Blocks = newBlockstore()): Promise<CID> {
  const entries: ImportCandidate[] = Object.keys(files)
    .sort()
    .map((p) => ({ path: p, content: files[p] }));
  return lastCid(importer(entries, blocks, { ...IMPORT_OPTIONS, wrapWithDirectory: true }));
}

/** The CID of `bytes` as a UnixFS file (`ipfs://<cid>` for an input or a single-file artefact). */
export async function cidOfBytes(bytes: Uint8Array): Promise<string> {
  return (await addBytes(bytes)).toString();
}

/** Parses `ipfs://CID[/path]` (also `/ipfs/CID[/path]`). Throws `FETCH_FAILED` on anything else. */
export function parseIpfsUri(uri: string): { cid: CID; path: string } {
  const m = /^(?:ipfs:\/\/|\/ipfs\/)([^/?#]+)((?:\/[^?#]*)?)$/.exec(uri);
  if (!m) throw new ModelError("FETCH_FAILED", `not an ipfs:// URI: ${uri}`);
  let cid: CID;
  try {
    cid = CID.parse(m[1]);
  } catch (e) {
    throw new ModelError("FETCH_FAILED", `${uri}: bad CID (${(e as Error).message})`);
  }
  return { cid, path: m[2].replace(/^\/+|\/+$/g, "") };
}

/** Every block reachable from `root` (dag-pb links followed; raw leaves end a branch). */
async function* dagBlocks(root: CID, blocks: Blocks): AsyncGenerator<{ cid: CID; bytes: Uint8Array }> {
  const seen = new Set<string>();
  const stack = [root];
  while (stack.length > 0) {
    const cid = stack.pop()!;
    const key = cid.toString();
    if (seen.has(key)) continue;
    seen.add(key);
    const bytes = await getBlock(blocks, cid);
    yield { cid, bytes };
    if (cid.code === dagPb.code) for (const l of dagPb.decode(bytes).Links.slice().reverse()) stack.push(l.Hash);
  }
}

/** One block's bytes. */
export async function getBlock(blocks: Blocks, cid: CID): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of blocks.get(cid)) parts.push(p);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** A CAR file (v1) with `root` and every block of its DAG. */
export async function carOf(root: CID, blocks: Blocks): Promise<Uint8Array> {
  const { writer, out } = CarWriter.create([root]);
  const chunks: Uint8Array[] = [];
  const collected = (async () => {
    for await (const c of out) chunks.push(c);
  })();
  for await (const b of dagBlocks(root, blocks)) await writer.put(b);
  await writer.close();
  await collected;
  return Buffer.concat(chunks);
}

/**
 * Verifies a CAR against the CID it was asked for: `root` must be its only root, every block must hash (sha2-256)
 * to its CID, and every block of the DAG must be present. Returns a blockstore of the verified blocks.
 */
export async function verifyCar(car: Uint8Array, root: CID): Promise<Blocks> {
  let reader: CarReader;
  try {
    reader = await CarReader.fromBytes(car);
  } catch (e) {
    throw new ModelError("CID_MISMATCH", `${root}: the gateway's answer is not a CAR file (${(e as Error).message})`);
  }
  const roots = await reader.getRoots();
  if (roots.length !== 1 || !roots[0].equals(root))
    throw new ModelError("CID_MISMATCH", `${root}: the CAR's root is ${roots.join(",") || "missing"}`);
  const blocks = newBlockstore();
  for await (const { cid, bytes } of reader.blocks()) {
    if (cid.multihash.code !== sha256.code)
      throw new ModelError("CID_MISMATCH", `${root}: block ${cid} uses an unsupported hash (only sha2-256)`);
    if (cid.code !== dagPb.code && cid.code !== raw.code)
      throw new ModelError("CID_MISMATCH", `${root}: block ${cid} has an unsupported codec`);
    const digest = await sha256.digest(bytes);
    if (!equalBytes(digest.digest, cid.multihash.digest))
      throw new ModelError("CID_MISMATCH", `${root}: block ${cid} does not hash to its CID (tampered)`);
    await blocks.put(cid, bytes);
  }
  // Every block of the DAG must be there (a missing one would otherwise surface as a hang or a late error).
  try {
    for await (const b of dagBlocks(root, blocks)) void b;
  } catch (e) {
    throw new ModelError("CID_MISMATCH", `${root}: the CAR lacks blocks of the DAG (${(e as Error).message})`);
  }
  return blocks;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The bytes of the file at `path` under `root` (the root itself when `path` is ""), from verified blocks. */
export async function readFileFromBlocks(root: CID, path: string, blocks: Blocks): Promise<Uint8Array> {
  const entry = await exporter(path ? `${root}/${path}` : root, blocks);
  if (entry.type !== "file" && entry.type !== "raw")
    throw new ModelError("FETCH_FAILED", `${root}/${path} is a ${entry.type}, not a file`);
  const parts: Uint8Array[] = [];
  for await (const c of entry.content()) parts.push(c);
  return Buffer.concat(parts);
}

/** Relative path → bytes of every file under a directory CID, from verified blocks. */
export async function readDirectoryFromBlocks(root: CID, blocks: Blocks): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  const prefix = root.toString();
  for await (const listed of recursive(root, blocks)) {
    const entry = await exporter(listed.cid, blocks);
    if (entry.type !== "file" && entry.type !== "raw") continue;
    const parts: Uint8Array[] = [];
    for await (const c of entry.content()) parts.push(c);
    out[listed.path.slice(prefix.length + 1)] = Buffer.concat(parts);
  }
  return out;
}

export type FetchOptions = {
  /** Gateway base URLs (e.g. "http://127.0.0.1:8080"), tried in order. */
  gateways: string[];
  /** Per-gateway timeout, ms (default 30,000). */
  timeoutMs?: number;
  /** Largest CAR accepted, bytes (default 512 MiB). */
  maxBytes?: number;
};

/**
 * Fetches the DAG of `ipfs://CID` as a CAR from the first gateway that answers with a valid one, verified block by
 * block. A gateway that serves tampered bytes is reported and the next one tried; `CID_MISMATCH` or `FETCH_FAILED`
 * when none gives the verified DAG.
 */
export async function fetchVerifiedBlocks(cid: CID, o: FetchOptions): Promise<Blocks> {
  if (o.gateways.length === 0) throw new ModelError("FETCH_FAILED", `ipfs://${cid}: no IPFS gateway configured`);
  const failures: string[] = [];
  let tampered: ModelError | undefined;
  for (const gw of o.gateways) {
    const url = `${gw.replace(/\/+$/, "")}/ipfs/${cid}?format=car`;
    try {
      const res = await fetch(url, {
        headers: { accept: "application/vnd.ipld.car" },
        signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = new Uint8Array(await res.arrayBuffer());
      if (body.length > (o.maxBytes ?? 512 * 1024 * 1024)) throw new Error(`CAR larger than the limit`);
      return await verifyCar(body, cid);
    } catch (e) {
      if (e instanceof ModelError && e.code === "CID_MISMATCH") tampered = e;
      failures.push(`${gw}: ${(e as Error).message}`);
    }
  }
  if (tampered)
    throw new ModelError("CID_MISMATCH", `ipfs://${cid}: no gateway served it intact (${failures.join("; ")})`);
  throw new ModelError("FETCH_FAILED", `ipfs://${cid}: ${failures.join("; ")}`);
}

/** The verified bytes of the file at `ipfs://CID[/path]`. */
export async function fetchIpfsFile(uri: string, o: FetchOptions): Promise<Uint8Array> {
  const { cid, path } = parseIpfsUri(uri);
  return readFileFromBlocks(cid, path, await fetchVerifiedBlocks(cid, o));
}
