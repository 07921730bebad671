/**
 * Typed inputs and outputs for requesters: a model's input value (image bytes, int8 values, named tensors, JSON) to
 * the request bytes its pipeline reads, the input digest the job's mode needs, and a URI nodes fetch it from; and a
 * job's output bytes back to a typed value. Everything follows the version's manifest (fetched and checked against
 * the registry by `fetchVersionManifest`), so a requester codes against the I/O schema the model owner registered.
 */
import { getBytes, keccak256, type BigNumberish } from "ethers";
import { ModelRegistry__factory } from "../../typechain-types/index.js";
import type {
  RequestedJob,
  RequestInferenceParams,
  RequestOptions,
  VeritasClient,
  VerifiedResult,
  WaitOptions,
} from "../client.js";
import { fetchIpfsFile } from "../ipfs/index.js";
import { ioSchemaDigest, manifestDigest, parseManifest } from "./bundle.js";
import { getPipeline } from "./pipelines/index.js";
import { MANIFEST_FILE, ModelError, type Manifest } from "./types.js";

/** The ZK mode's number (`IInferenceEscrow` modes: 1 TEE, 2 ZK, 3 optimistic). */
const MODE_ZK = 2;
/** Inputs up to this many bytes are inlined as a `data:` URI when no `inputURI` or `upload` is given. */
export const DEFAULT_MAX_INLINE_BYTES = 64 * 1024;

export type PreparedInput = {
  /** The request bytes nodes fetch and run. */
  bytes: Uint8Array;
  /** What the job records: keccak256(bytes) for TEE and optimistic, the pipeline's input commitment for ZK. */
  inputDigest: string;
  /** Where nodes fetch the bytes. */
  inputURI: string;
};

export type PrepareOptions = {
  /** Where nodes fetch the input (used as is; the bytes must be served there). */
  inputURI?: string;
  /** Stores the bytes somewhere nodes can fetch them (e.g. an IPFS pinning call) and returns the URI. */
  upload?: (bytes: Uint8Array, mediaType: string) => Promise<string>;
  /** Largest input inlined as `data:` when neither `inputURI` nor `upload` is given (default 64 KiB). */
  maxInlineBytes?: number;
};

function mediaTypeOf(bytes: Uint8Array, manifest: Manifest): string {
  if (manifest.input.kind === "image") {
    if (bytes[0] === 0x89 && bytes[1] === 0x50) return "image/png";
    if (bytes[0] === 0xff && bytes[1] === 0xd8) return "image/jpeg";
    return "application/octet-stream";
  }
  return "application/json";
}

/**
 * Encodes `value` by the manifest's pipeline (`BAD_INPUT` for a value that does not fit its schema: a tensor of the
 * wrong shape, a non-image, an out-of-range int8), computes the digest `mode` needs, and picks the input URI.
 */
export async function prepareInput(
  manifest: Manifest,
  value: unknown,
  mode: number,
  o: PrepareOptions = {},
): Promise<PreparedInput> {
  const pipeline = await getPipeline(manifest.pipeline);
  const bytes = pipeline.encodeInput(value, manifest);
  let inputDigest: string;
  if (mode === MODE_ZK) {
    if (!manifest.zk || !pipeline.zkInputDigest)
      throw new ModelError("BAD_INPUT", `${manifest.name}: the ${manifest.pipeline} pipeline has no ZK circuit`);
    inputDigest = pipeline.zkInputDigest(bytes, manifest);
  } else inputDigest = keccak256(bytes);
  const mediaType = mediaTypeOf(bytes, manifest);
  let inputURI = o.inputURI;
  if (inputURI === undefined && o.upload) inputURI = await o.upload(bytes, mediaType);
  if (inputURI === undefined) {
    const max = o.maxInlineBytes ?? DEFAULT_MAX_INLINE_BYTES;
    if (bytes.length > max)
      throw new ModelError(
        "BAD_INPUT",
        `the input is ${bytes.length} bytes, more than ${max} to inline: give \`inputURI\` or \`upload\``,
      );
    inputURI = `data:${mediaType};base64,${Buffer.from(bytes).toString("base64")}`;
  }
  return { bytes, inputDigest, inputURI };
}

/** A job's output (hex or bytes) as the manifest's pipeline decodes it (e.g. `{ lines }`, `{ logits, label }`). */
export async function decodeResult(manifest: Manifest, output: string | Uint8Array): Promise<unknown> {
  const bytes = typeof output === "string" ? getBytes(output) : output;
  return (await getPipeline(manifest.pipeline)).decodeOutput(bytes, manifest);
}

/**
 * The manifest of a version, fetched from its artefact (`ipfs://CID`: only `manifest.json`, verified against the CID
 * through `gateways`; `http(s)://`: the directory's manifest.json) and checked against the registered digests:
 * the I/O schema digest always, the weights digest when it is the manifest digest (non-ZK bundles).
 * `DIGEST_MISMATCH` when it is not the version's manifest.
 */
export async function fetchVersionManifest(
  version: { artifactURI: string; weightsDigest: string; ioSchemaDigest: string },
  o: { gateways?: string[]; timeoutMs?: number } = {},
): Promise<Manifest> {
  const uri = version.artifactURI.replace(/\/+$/, "");
  let bytes: Uint8Array;
  if (uri.startsWith("ipfs://")) {
    bytes = await fetchIpfsFile(`${uri}/${MANIFEST_FILE}`, { gateways: o.gateways ?? [], timeoutMs: o.timeoutMs });
  } else if (/^https?:\/\//.test(uri)) {
    const url = uri.endsWith(MANIFEST_FILE) ? uri : `${uri}/${MANIFEST_FILE}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(o.timeoutMs ?? 30_000) });
    if (!res.ok) throw new ModelError("FETCH_FAILED", `${url}: HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } else throw new ModelError("FETCH_FAILED", `${uri}: only ipfs:// and http(s):// artefacts can be fetched`);
  const manifest = parseManifest(bytes, uri);
  const registeredIo = version.ioSchemaDigest.toLowerCase();
  if (!/^0x0{64}$/.test(registeredIo) && ioSchemaDigest(manifest) !== registeredIo)
    throw new ModelError("DIGEST_MISMATCH", `${uri}: the manifest's I/O schema is not the version's`);
  if (!manifest.zk && manifestDigest(manifest) !== version.weightsDigest.toLowerCase())
    throw new ModelError("DIGEST_MISMATCH", `${uri}: the manifest is not the version's (weights digest)`);
  if (manifest.zk && manifest.zk.weightsCommitment.toLowerCase() !== version.weightsDigest.toLowerCase())
    throw new ModelError("DIGEST_MISMATCH", `${uri}: the manifest's weights commitment is not the version's`);
  return manifest;
}

/** The registry record of `versionId` that `fetchVersionManifest` checks a manifest against. */
async function versionRecord(client: VeritasClient, versionId: bigint) {
  const registry = client.registry ?? ModelRegistry__factory.connect(await client.escrow.registry(), client.provider);
  const v = await registry.getVersion(versionId);
  return { artifactURI: v.artifactURI, weightsDigest: v.weightsDigest, ioSchemaDigest: v.ioSchemaDigest };
}

/** The checked manifest of a version (fetched once per client and version). */
export async function versionManifest(
  client: VeritasClient,
  versionId: BigNumberish,
  o: { gateways?: string[]; timeoutMs?: number } = {},
): Promise<Manifest> {
  const id = BigInt(versionId);
  let byVersion = manifestCache.get(client);
  if (!byVersion) manifestCache.set(client, (byVersion = new Map()));
  let m = byVersion.get(id);
  if (!m) {
    m = fetchVersionManifest(await versionRecord(client, id), o);
    byVersion.set(id, m);
    m.catch(() => byVersion.delete(id));
  }
  return m;
}
const manifestCache = new WeakMap<VeritasClient, Map<bigint, Promise<Manifest>>>();

export type TypedRequestParams = Omit<RequestInferenceParams, "input" | "inputDigest" | "inputURI"> &
  PrepareOptions & {
    /** The model's typed input: image bytes, an int8 array, named tensors, a JSON value (by the manifest's pipeline). */
    value: unknown;
    /** The version's manifest (default: fetched from its artefact through `gateways` and checked). */
    manifest?: Manifest;
    /** IPFS gateways to fetch the manifest from. */
    gateways?: string[];
  };

/**
 * `client.requestInference` with the model's typed input: encodes `value` by the version's manifest, sets the digest
 * the mode needs (keccak256 for TEE and optimistic, the input commitment for ZK), inlines or uploads the bytes.
 */
export async function requestTypedInference(
  client: VeritasClient,
  params: TypedRequestParams,
  options: RequestOptions = {},
): Promise<RequestedJob & { manifest: Manifest; input: PreparedInput }> {
  const { value, manifest: given, gateways, upload, maxInlineBytes, inputURI, ...rest } = params;
  const manifest = given ?? (await versionManifest(client, params.versionId, { gateways }));
  const input = await prepareInput(manifest, value, Number(params.mode ?? 1), { inputURI, upload, maxInlineBytes });
  const job = await client.requestInference(
    { ...rest, inputDigest: input.inputDigest, inputURI: input.inputURI },
    options,
  );
  return { ...job, manifest, input };
}

/** `client.waitForVerifiedResult`, with the output decoded by the manifest (`value`). */
export async function waitForTypedResult(
  client: VeritasClient,
  jobId: BigNumberish,
  manifest: Manifest,
  options: WaitOptions = {},
): Promise<VerifiedResult & { value: unknown }> {
  const r = await client.waitForVerifiedResult(jobId, options);
  return { ...r, value: await decodeResult(manifest, r.output) };
}
