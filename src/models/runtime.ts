/**
 * The generic ONNX runner: sessions created with exactly the manifest's runtime settings, and named tensors of any
 * element type and shape in and out. Every pipeline runs its ONNX files through here.
 */
import { createRequire } from "node:module";
import * as ort from "onnxruntime-node";
import { ModelError, type RuntimeSpec, type TensorDType, type TensorSpec } from "./types.js";

/** The installed onnxruntime-node version. */
export const ORT_VERSION: string = (
  createRequire(import.meta.url)("onnxruntime-node/package.json") as { version: string }
).version;

/** Throws `UnsupportedRuntime` unless this process can run a bundle built for `spec` bit for bit. */
export function checkRuntime(spec: RuntimeSpec, source = "bundle"): void {
  if (spec.name !== "onnxruntime-node")
    throw new ModelError("UnsupportedRuntime", `${source}: runtime ${spec.name}, this node runs onnxruntime-node`);
  if (spec.version !== ORT_VERSION)
    throw new ModelError(
      "UnsupportedRuntime",
      `${source}: built for onnxruntime-node ${spec.version}, this node has ${ORT_VERSION} (outputs could differ)`,
    );
}

/** An ONNX session with the manifest's settings (single-threaded, CPU). */
export async function createSession(
  model: Uint8Array,
  spec: RuntimeSpec,
  source = "bundle",
): Promise<ort.InferenceSession> {
  checkRuntime(spec, source);
  try {
    return await ort.InferenceSession.create(model, {
      executionProviders: [spec.executionProvider],
      intraOpNumThreads: spec.intraOpNumThreads,
      interOpNumThreads: spec.interOpNumThreads,
      graphOptimizationLevel: spec.graphOptimizationLevel,
      executionMode: "sequential",
    });
  } catch (e) {
    throw new ModelError("BadBundle", `${source}: onnxruntime cannot load the model (${(e as Error).message})`);
  }
}

/** A tensor as plain data: element type, dimensions, values (int64/uint64 as bigint). */
export type NamedTensor = { dtype: TensorDType; dims: number[]; data: ArrayLike<number | bigint | boolean> };

const ARRAYS: Record<TensorDType, (n: number[] | bigint[]) => ort.Tensor["data"]> = {
  float32: (v) => Float32Array.from(v as number[]),
  float64: (v) => Float64Array.from(v as number[]),
  int8: (v) => Int8Array.from(v as number[]),
  uint8: (v) => Uint8Array.from(v as number[]),
  int16: (v) => Int16Array.from(v as number[]),
  uint16: (v) => Uint16Array.from(v as number[]),
  int32: (v) => Int32Array.from(v as number[]),
  uint32: (v) => Uint32Array.from(v as number[]),
  int64: (v) => BigInt64Array.from((v as (number | bigint)[]).map((x) => BigInt(x))),
  uint64: (v) => BigUint64Array.from((v as (number | bigint)[]).map((x) => BigInt(x))),
  bool: (v) => Uint8Array.from((v as unknown[]).map((x) => (x ? 1 : 0))),
};

const RANGES: Partial<Record<TensorDType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
};

/** Checks `t` against its schema entry (element type, rank, fixed dimensions, value count and range). */
export function checkTensor(name: string, t: NamedTensor, spec: TensorSpec): void {
  const fail = (msg: string): never => {
    throw new ModelError("BadInput", `tensor ${name}: ${msg}`);
  };
  if (t.dtype !== spec.dtype) fail(`element type ${t.dtype}, the model takes ${spec.dtype}`);
  if (!Array.isArray(t.dims) || t.dims.some((d) => !Number.isSafeInteger(d) || d < 0)) fail("dims invalid");
  if (t.dims.length !== spec.shape.length)
    fail(`shape [${t.dims}] has rank ${t.dims.length}, the model takes rank ${spec.shape.length} [${spec.shape}]`);
  spec.shape.forEach((d, i) => {
    if (typeof d === "number" && t.dims[i] !== d) fail(`shape [${t.dims}], the model takes [${spec.shape}]`);
  });
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== n) fail(`${t.data.length} values for shape [${t.dims}] (${n} expected)`);
  const range = RANGES[t.dtype];
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i];
    if (t.dtype === "bool") {
      if (typeof v !== "boolean" && v !== 0 && v !== 1) fail(`value ${i} is not a bool`);
    } else if (t.dtype === "int64" || t.dtype === "uint64") {
      let b: bigint;
      try {
        b = BigInt(v as number | bigint);
      } catch {
        fail(`value ${i} is not an integer`);
      }
      if (t.dtype === "uint64" ? b! < 0n || b! >= 1n << 64n : b! < -(1n << 63n) || b! >= 1n << 63n)
        fail(`value ${i} out of range for ${t.dtype}`);
    } else if (typeof v !== "number" || !Number.isFinite(v)) fail(`value ${i} is not a finite number`);
    else if (range && (!Number.isInteger(v) || v < range[0] || v > range[1]))
      fail(`value ${i} (${v}) out of range for ${t.dtype}`);
  }
}

/** Runs a session on named tensors; returns every output as a NamedTensor. */
export async function runSession(
  session: ort.InferenceSession,
  feeds: Record<string, NamedTensor>,
): Promise<Record<string, NamedTensor>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    ortFeeds[name] = new ort.Tensor(t.dtype, ARRAYS[t.dtype](Array.from(t.data) as number[]), t.dims);
  }
  const out = await session.run(ortFeeds);
  const result: Record<string, NamedTensor> = {};
  for (const [name, t] of Object.entries(out)) {
    result[name] = { dtype: t.type as TensorDType, dims: [...t.dims], data: t.data as ArrayLike<number | bigint> };
  }
  return result;
}
