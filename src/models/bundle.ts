/**
 * Reading, checking and describing model bundles (docs/publishing-a-model.md).
 *
 * The digest rule (what a model owner registers and what every node checks):
 *   manifestDigest = keccak256(JCS(manifest))                       (RFC 8785 canonical JSON of manifest.json)
 *   ioSchemaDigest = keccak256(JCS({ pipeline, input, output }))    (the interface a requester codes against)
 *   weightsDigest  = manifest.zk ? manifest.zk.weightsCommitment    (the circuit's public weights commitment)
 *                                : manifestDigest
 * The manifest lists every file with its size and SHA-256, so the manifest digest commits to all of the bundle's
 * bytes, its runtime settings and its pipeline options. A ZK version registers the weights commitment instead (the
 * verifier takes it as a public signal); its pipeline checks that the ONNX file yields that commitment, and the
 * bundle's CID in the version's `artifactURI` binds the rest.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { keccak256 } from "ethers";
import { canonicalJsonBytes } from "./canonical.js";
import {
  BUNDLE_FORMAT,
  MANIFEST_FILE,
  ModelError,
  type BundleFile,
  type IoSchema,
  type LoadedBundle,
  type Manifest,
} from "./types.js";

/** Largest manifest accepted, in bytes. */
export const MAX_MANIFEST_BYTES = 64 * 1024;
/** Largest bundle accepted (all files), in bytes. */
export const MAX_BUNDLE_BYTES = 512 * 1024 * 1024;

const IO_KINDS = new Set(["tensors", "int8-vector", "image", "int256-array", "json"]);
const OPT_LEVELS = new Set(["disabled", "basic", "extended", "all"]);
const HEX32 = /^0x[0-9a-f]{64}$/;

/** SHA-256 of `bytes`, hex without 0x. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** keccak256(JCS(manifest)). */
export function manifestDigest(manifest: Manifest): string {
  return keccak256(canonicalJsonBytes(manifest));
}

/** keccak256(JCS({ pipeline, input, output })). */
export function ioSchemaDigest(manifest: Pick<Manifest, "pipeline" | "input" | "output">): string {
  return keccak256(canonicalJsonBytes({ pipeline: manifest.pipeline, input: manifest.input, output: manifest.output }));
}

/** The digests a version of this bundle registers (the rule above). */
export function versionDigests(manifest: Manifest): {
  weightsDigest: string;
  ioSchemaDigest: string;
  manifestDigest: string;
} {
  const m = manifestDigest(manifest);
  return {
    weightsDigest: manifest.zk ? manifest.zk.weightsCommitment.toLowerCase() : m,
    ioSchemaDigest: ioSchemaDigest(manifest),
    manifestDigest: m,
  };
}

/**
 * Throws `DIGEST_MISMATCH` unless the bundle is the one a version registered: its weights digest (and, when given,
 * its I/O schema digest) follow from the manifest by the rule above.
 */
export function checkBundleDigests(
  bundle: Pick<LoadedBundle, "manifest" | "source">,
  registered: { weightsDigest: string; ioSchemaDigest?: string },
): void {
  const d = versionDigests(bundle.manifest);
  if (d.weightsDigest !== registered.weightsDigest.toLowerCase()) {
    throw new ModelError(
      "DIGEST_MISMATCH",
      `bundle ${bundle.source}: weights digest ${d.weightsDigest} != registered ${registered.weightsDigest}`,
    );
  }
  const io = registered.ioSchemaDigest;
  if (io !== undefined && !/^0x0{64}$/.test(io) && d.ioSchemaDigest !== io.toLowerCase()) {
    throw new ModelError(
      "DIGEST_MISMATCH",
      `bundle ${bundle.source}: I/O schema digest ${d.ioSchemaDigest} != registered ${io}`,
    );
  }
}

function bad(source: string, msg: string): never {
  throw new ModelError("BAD_BUNDLE", `bundle ${source}: ${msg}`);
}

function checkSchema(source: string, what: string, s: unknown): asserts s is IoSchema {
  if (typeof s !== "object" || s === null) bad(source, `${what} schema missing`);
  const kind = (s as IoSchema).kind;
  if (!IO_KINDS.has(kind)) bad(source, `${what}.kind "${kind}" is not one of ${[...IO_KINDS].join(", ")}`);
}

/** Checks the generic parts of a manifest (the pipeline checks its own parts). Throws `BAD_BUNDLE`. */
export function validateManifest(value: unknown, source = "(manifest)"): Manifest {
  if (typeof value !== "object" || value === null || Array.isArray(value)) bad(source, "manifest is not an object");
  const m = value as Manifest;
  if (m.format !== BUNDLE_FORMAT) bad(source, `format "${m.format}" is not "${BUNDLE_FORMAT}"`);
  if (typeof m.name !== "string" || m.name === "") bad(source, "name missing");
  if (typeof m.pipeline !== "string" || m.pipeline === "") bad(source, "pipeline missing");
  const r = m.runtime;
  if (typeof r !== "object" || r === null) bad(source, "runtime missing");
  if (r.name !== "onnxruntime-node") bad(source, `runtime.name "${r.name}" is not "onnxruntime-node"`);
  if (typeof r.version !== "string" || !/^\d+\.\d+\.\d+/.test(r.version)) bad(source, "runtime.version missing");
  if (r.executionProvider !== "cpu") bad(source, `runtime.executionProvider "${r.executionProvider}" is not "cpu"`);
  if (r.intraOpNumThreads !== 1 || r.interOpNumThreads !== 1)
    bad(source, "runtime intra/interOpNumThreads must be 1 (determinism)");
  if (!OPT_LEVELS.has(r.graphOptimizationLevel)) bad(source, `runtime.graphOptimizationLevel invalid`);
  if (typeof m.files !== "object" || m.files === null || Object.keys(m.files).length === 0) bad(source, "no files");
  const seen = new Set<string>();
  for (const [role, f] of Object.entries(m.files)) {
    if (typeof f !== "object" || f === null) bad(source, `file ${role} malformed`);
    const p = f.path;
    if (typeof p !== "string" || p === "" || p.startsWith("/") || p.split("/").some((s) => s === ".." || s === "."))
      bad(source, `file ${role}: path "${p}" must be relative, inside the bundle`);
    if (p === MANIFEST_FILE) bad(source, `file ${role}: ${MANIFEST_FILE} cannot be a listed file`);
    if (seen.has(p)) bad(source, `file ${role}: ${p} listed twice`);
    seen.add(p);
    if (!Number.isSafeInteger(f.size) || f.size < 0) bad(source, `file ${role}: size invalid`);
    if (typeof f.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(f.sha256)) bad(source, `file ${role}: sha256 invalid`);
  }
  checkSchema(source, "input", m.input);
  checkSchema(source, "output", m.output);
  if (m.zk !== undefined) {
    const z = m.zk;
    if (z.system !== "groth16-bn254") bad(source, `zk.system "${z.system}" is not "groth16-bn254"`);
    for (const role of [z.wasm, z.zkey, z.verificationKey])
      if (!m.files[role]) bad(source, `zk names file role "${role}", which is not in files`);
    if (typeof z.weightsCommitment !== "string" || !HEX32.test(z.weightsCommitment.toLowerCase()))
      bad(source, "zk.weightsCommitment must be a 0x bytes32");
  }
  return m;
}

/** Parses manifest bytes. */
export function parseManifest(bytes: Uint8Array, source = "(manifest)"): Manifest {
  if (bytes.length > MAX_MANIFEST_BYTES) bad(source, `manifest larger than ${MAX_MANIFEST_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    bad(source, `${MANIFEST_FILE} is not JSON: ${(e as Error).message}`);
  }
  return validateManifest(value, source);
}

/**
 * A bundle from its manifest bytes and a reader of its files: every listed file is read and checked against its
 * size and SHA-256 (`DIGEST_MISMATCH` otherwise).
 */
export function assembleBundle(
  manifestBytes: Uint8Array,
  readFile: (relPath: string) => Uint8Array,
  source: string,
): LoadedBundle {
  const manifest = parseManifest(manifestBytes, source);
  const total = Object.values(manifest.files).reduce((a, f) => a + f.size, 0);
  if (total > MAX_BUNDLE_BYTES) bad(source, `files add up to ${total} bytes, more than ${MAX_BUNDLE_BYTES}`);
  const files: Record<string, Uint8Array> = {};
  for (const [role, f] of Object.entries(manifest.files)) {
    let bytes: Uint8Array;
    try {
      bytes = readFile(f.path);
    } catch (e) {
      bad(source, `file ${role} (${f.path}) unreadable: ${(e as Error).message}`);
    }
    if (bytes.length !== f.size || sha256Hex(bytes) !== f.sha256) {
      throw new ModelError(
        "DIGEST_MISMATCH",
        `bundle ${source}: file ${role} (${f.path}) is ${bytes.length} bytes with sha256 ${sha256Hex(bytes)}, ` +
          `the manifest says ${f.size} bytes, ${f.sha256}`,
      );
    }
    files[role] = bytes;
  }
  return { manifest, manifestBytes, files, source };
}

/** Reads and checks the bundle in directory `dir`. */
export function readBundleDir(dir: string): LoadedBundle {
  const root = path.resolve(dir);
  let manifestBytes: Uint8Array;
  try {
    manifestBytes = readFileSync(path.join(root, MANIFEST_FILE));
  } catch {
    bad(root, `no ${MANIFEST_FILE}`);
  }
  return assembleBundle(manifestBytes, (p) => readFileSync(path.join(root, p)), root);
}

/** The `files` entry of each role → path under `dir` (for a model owner writing a manifest). */
export function describeFiles(dir: string, roles: Record<string, string>): Record<string, BundleFile> {
  const out: Record<string, BundleFile> = {};
  for (const [role, p] of Object.entries(roles)) {
    const full = path.join(dir, p);
    out[role] = { path: p, size: statSync(full).size, sha256: sha256Hex(readFileSync(full)) };
  }
  return out;
}

/**
 * Writes each file's `size` and `sha256` into `dir/manifest.json` from the files next to it (a model owner lists
 * only `{ path }` per role and lets this fill the rest). Returns the roles whose entries changed.
 */
export function fillFileDigests(dir: string): string[] {
  const file = path.join(path.resolve(dir), MANIFEST_FILE);
  let m: { files?: Record<string, { path?: unknown }> };
  try {
    m = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    bad(dir, `${MANIFEST_FILE} unreadable: ${(e as Error).message}`);
  }
  if (typeof m.files !== "object" || m.files === null) bad(dir, "no files");
  const roles: Record<string, string> = {};
  for (const [role, f] of Object.entries(m.files)) {
    if (typeof f?.path !== "string") bad(dir, `file ${role} has no path`);
    roles[role] = f.path;
  }
  let described: Record<string, BundleFile>;
  try {
    described = describeFiles(path.resolve(dir), roles);
  } catch (e) {
    bad(dir, `a listed file is unreadable: ${(e as Error).message}`);
  }
  const changed = Object.keys(roles).filter((r) => JSON.stringify(m.files![r]) !== JSON.stringify(described[r]));
  if (changed.length) writeFileSync(file, JSON.stringify({ ...m, files: described }, null, 2) + "\n");
  return changed;
}
