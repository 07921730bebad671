/**
 * The generic ONNX runner: sessions created with exactly the manifest's runtime settings, and named tensors of any
 * element type and shape in and out. Every pipeline runs its ONNX files through here; import it lazily (inside
 * `Pipeline.load`) so that clients using only a pipeline's codecs never load onnxruntime.
 */
import { createRequire } from "node:module";
import * as ort from "onnxruntime-node";
import type { NamedTensor } from "./tensor.js";
import { ModelError, type RuntimeSpec, type TensorDType } from "./types.js";

export { checkTensor, type NamedTensor } from "./tensor.js";

/** The installed onnxruntime-node version. */
export const ORT_VERSION: string = (
  createRequire(import.meta.url)("onnxruntime-node/package.json") as { version: string }
).version;

/** Throws `UNSUPPORTED_RUNTIME` unless this process can run a bundle built for `spec` bit for bit. */
export function checkRuntime(spec: RuntimeSpec, source = "bundle"): void {
  if (spec.name !== "onnxruntime-node")
    throw new ModelError("UNSUPPORTED_RUNTIME", `${source}: runtime ${spec.name}, this node runs onnxruntime-node`);
  if (spec.version !== ORT_VERSION)
    throw new ModelError(
      "UNSUPPORTED_RUNTIME",
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
    throw new ModelError("BAD_BUNDLE", `${source}: onnxruntime cannot load the model (${(e as Error).message})`);
  }
}

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
