/**
 * Where bundles come from: a local directory (or `file://` URL), `ipfs://CID` (fetched from the configured gateways
 * as a CAR and verified block by block against the CID), or an `http(s)://` URL of a bundle directory (each file
 * checked against the manifest's SHA-256; the manifest itself against the version's registered digest).
 */
import { fileURLToPath } from "node:url";
import path from "node:path";
import {
  addDirectory,
  fetchVerifiedBlocks,
  parseIpfsUri,
  readDirectoryFromBlocks,
  type FetchOptions,
} from "../ipfs/index.js";
import { assembleBundle, readBundleDir } from "./bundle.js";
import { MANIFEST_FILE, ModelError, type LoadedBundle } from "./types.js";

export type SourceOptions = {
  /** IPFS gateways for `ipfs://` sources. */
  gateways?: string[];
  /** Directory relative paths resolve against. */
  baseDir?: string;
  timeoutMs?: number;
};

/** The files of a bundle as they go into its directory CID: manifest.json (exact bytes) and every listed file. */
export function bundleFiles(bundle: LoadedBundle): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = { [MANIFEST_FILE]: bundle.manifestBytes };
  for (const [role, f] of Object.entries(bundle.manifest.files)) files[f.path] = bundle.files[role];
  return files;
}

/** The IPFS directory CID of a bundle (what its version's `artifactURI` names: `ipfs://<cid>`). */
export async function bundleCid(bundle: LoadedBundle): Promise<string> {
  return (await addDirectory(bundleFiles(bundle))).toString();
}

/** Loads and checks a bundle from `uri` (see the module comment). */
export async function loadBundle(uri: string, o: SourceOptions = {}): Promise<LoadedBundle> {
  if (uri.startsWith("ipfs://")) {
    const { cid, path: sub } = parseIpfsUri(uri);
    if (sub) throw new ModelError("FETCH_FAILED", `${uri}: a bundle is a directory CID, without a path`);
    const fetchOpts: FetchOptions = { gateways: o.gateways ?? [], timeoutMs: o.timeoutMs };
    const files = await readDirectoryFromBlocks(cid, await fetchVerifiedBlocks(cid, fetchOpts));
    const manifest = files[MANIFEST_FILE];
    if (!manifest) throw new ModelError("BAD_BUNDLE", `${uri}: no ${MANIFEST_FILE} in the directory`);
    return assembleBundle(
      manifest,
      (p) => {
        const b = files[p];
        if (!b) throw new Error("not in the directory");
        return b;
      },
      uri,
    );
  }
  if (uri.startsWith("http://") || uri.startsWith("https://")) {
    const base = uri.replace(/\/manifest\.json$/, "").replace(/\/+$/, "");
    const get = async (p: string) => {
      const res = await fetch(`${base}/${p}`, { signal: AbortSignal.timeout(o.timeoutMs ?? 30_000) });
      if (!res.ok) throw new ModelError("FETCH_FAILED", `${base}/${p}: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    };
    const manifestBytes = await get(MANIFEST_FILE);
    const { parseManifest } = await import("./bundle.js");
    const m = parseManifest(manifestBytes, uri);
    const files: Record<string, Uint8Array> = {};
    for (const f of Object.values(m.files)) files[f.path] = await get(f.path);
    return assembleBundle(manifestBytes, (p) => files[p], uri);
  }
  const dir = uri.startsWith("file:") ? fileURLToPath(uri) : path.resolve(o.baseDir ?? process.cwd(), uri);
  return readBundleDir(dir);
}
