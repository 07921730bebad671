/**
 * Model bundles: the types every part of Veritas agrees on (node, watcher, client, publish task, pipelines).
 *
 * A model version's artefact is a *bundle*: a directory with `manifest.json` and the files it lists (one or more ONNX
 * files, vocabularies, ZK proving artefacts). It is content-addressed (an IPFS UnixFS directory CID, `ipfs://CID`),
 * and the registry's `weightsDigest` / `ioSchemaDigest` are derived from the manifest by the rule in
 * docs/publishing-a-model.md (implemented in `./bundle.ts`).
 *
 * A *pipeline* is named by `manifest.pipeline` and turns request bytes into canonical output bytes with the bundle's
 * ONNX sessions: pre-processing, one or more `run`s, post-processing, canonical encoding. Two honest nodes with the
 * same bundle and runtime settings produce the same output bytes.
 */
import { VeritasError, type ModelErrorCode } from "../errors.js";

/** The current bundle format. */
export const BUNDLE_FORMAT = "veritas-bundle/1";
/** The manifest's file name inside a bundle. */
export const MANIFEST_FILE = "manifest.json";

/** ONNX tensor element types the generic runner accepts (onnxruntime-node names). */
export type TensorDType =
  "float32" | "float64" | "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32" | "int64" | "uint64" | "bool";

/** One named tensor of a schema: its element type and shape (`null` or a string name for a dynamic dimension). */
export type TensorSpec = { dtype: TensorDType; shape: (number | string | null)[] };

/**
 * The I/O schema of a bundle. `kind` says how request and result bytes look:
 * - `"tensors"`: named tensors (JSON `{ name: { dtype, shape, data } }` in, the same out);
 * - `"int8-vector"`: a JSON array of int8 values (the quantized-MLP family's input);
 * - `"image"`: PNG or JPEG bytes;
 * - `"int256-array"`: `abi.encode(int256[])` (what ZK versions record on chain);
 * - `"json"`: canonical JSON (UTF-8, keys sorted, no white space, integers only), described by `description`.
 */
export type IoSchema = {
  kind: "tensors" | "int8-vector" | "image" | "int256-array" | "json";
  /** Media types accepted (`image`). */
  mediaTypes?: string[];
  /** Length of a vector / array (`int8-vector`, `int256-array`). */
  length?: number;
  /** Named tensors (`tensors`), or the model's raw tensors for documentation. */
  tensors?: Record<string, TensorSpec>;
  /** Free-form description of the layout (`json`), e.g. "{lines:[{text,box,confidence}]}". */
  description?: string;
  /** Largest accepted input in bytes. */
  maxBytes?: number;
};

/** The runtime a bundle was built and measured for; nodes refuse a bundle whose runtime they do not match. */
export type RuntimeSpec = {
  /** Only "onnxruntime-node" for now. */
  name: "onnxruntime-node";
  /** Exact version (e.g. "1.30.0"): another version may give other floating-point results. */
  version: string;
  executionProvider: "cpu";
  /** Must be 1 for determinism (a thread pool changes reduction order). */
  intraOpNumThreads: 1;
  interOpNumThreads: 1;
  graphOptimizationLevel: "disabled" | "basic" | "extended" | "all";
};

/** A file of the bundle: its path (relative, inside the bundle), size and SHA-256 (hex, no 0x). */
export type BundleFile = { path: string; size: number; sha256: string };

/** The ZK part of a bundle (versions with the ZK mode). */
export type ZkSpec = {
  /** Proof system: only "groth16-bn254" for now. */
  system: "groth16-bn254";
  /** Role names in `files` of the witness generator (wasm), the proving key (zkey) and the verification key (json). */
  wasm: string;
  zkey: string;
  verificationKey: string;
  /** The weights commitment (0x bytes32) the circuit takes as a public signal: what a ZK version registers. */
  weightsCommitment: string;
};

/** `manifest.json`. */
export type Manifest = {
  format: typeof BUNDLE_FORMAT;
  /** A short name, e.g. "paddleocr-v4-en" (free text, not unique). */
  name: string;
  /** Version of the model, free text (e.g. "4.0.0"). */
  modelVersion?: string;
  /** License of the weights (SPDX id). */
  license?: string;
  /** The pipeline that runs it (a key of the pipeline registry, e.g. "quantized-mlp", "paddle-ocr", "tensors"). */
  pipeline: string;
  runtime: RuntimeSpec;
  /** Files by role (e.g. { model: {...} } or { det: {...}, rec: {...}, keys: {...} }). */
  files: Record<string, BundleFile>;
  input: IoSchema;
  output: IoSchema;
  /** Pipeline options (thresholds, image sizes, ...): part of the digest, so part of what is agreed on. */
  options?: Record<string, unknown>;
  zk?: ZkSpec;
};

/** A bundle read into memory (from a directory or verified from IPFS). */
export type LoadedBundle = {
  manifest: Manifest;
  /** The manifest's exact bytes. */
  manifestBytes: Uint8Array;
  /** File bytes by role. */
  files: Record<string, Uint8Array>;
  /** Where it came from (a directory or an ipfs:// URI), for log lines. */
  source: string;
};

/** A bad bundle, artefact or input: a `VeritasError` whose `code` says which (`ModelErrorCode`). */
export class ModelError extends VeritasError {
  override readonly name: string = "ModelError";
  declare readonly code: ModelErrorCode;
  constructor(code: ModelErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A loaded pipeline instance: sessions created, ready to run inputs. */
export interface PipelineRunner {
  /** Runs one request input (bytes as sent by the requester) to canonical output bytes. Throws ModelError("BAD_INPUT"). */
  run(input: Uint8Array): Promise<Uint8Array>;
  /** Releases the ONNX sessions. */
  release(): Promise<void>;
}

/** A named pipeline: how one family of bundles is run. Pure functions except `load`. */
export interface Pipeline {
  /** The `manifest.pipeline` value it serves. */
  readonly name: string;
  /** Checks the pipeline-specific parts of a manifest (required file roles, options, schemas). Throws ModelError. */
  validate(manifest: Manifest): void;
  /** Creates the sessions of a bundle. */
  load(bundle: LoadedBundle): Promise<PipelineRunner>;
  /** Request bytes from a typed input (client side): e.g. an int8 array to JSON, an image passed through. */
  encodeInput(input: unknown, manifest: Manifest): Uint8Array;
  /** A typed value from output bytes (client side), e.g. { logits, label } or { lines: [...] }. */
  decodeOutput(output: Uint8Array, manifest: Manifest): unknown;
  /**
   * The `inputDigest` a job on these input bytes must carry in the ZK mode (e.g. the Poseidon input commitment);
   * absent when the pipeline has no ZK circuit. TEE and optimistic jobs use keccak256(input bytes).
   */
  zkInputDigest?(input: Uint8Array, manifest: Manifest): string;
  /**
   * Demo/test hook: a plausible but wrong output for `output` (a dishonest node proposes it). Required so a faulty
   * node can be simulated for every pipeline.
   */
  tamper(output: Uint8Array, manifest: Manifest): Uint8Array;
}

/** A runner of a pipeline with a ZK circuit (the bundle has a `zk` section). */
export interface ZkPipelineRunner extends PipelineRunner {
  /**
   * Runs `input` and proves it for the job tag (`jobTagOf` in the escrow integration): the output bytes the escrow
   * records (`abi.encode(int256[])`) and the proof bytes (`abi.encode(uint256[2],uint256[2][2],uint256[2])`).
   */
  prove(
    input: Uint8Array,
    jobTag: bigint,
    opts?: { singleThread?: boolean },
  ): Promise<{ output: Uint8Array; proof: Uint8Array }>;
}
