/**
 * ONNX side of the reference model: read the committed parameters back from zk/model/mlp.onnx (so a
 * registry can check an artefact, not a JSON side file) and run the file with onnxruntime-node.
 */
import { readFileSync } from "node:fs";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { N_HIDDEN, N_IN, N_OUT, SHIFT, ZK_PATHS } from "./constants.js";
import { validateInput, validateWeights, type MlpWeights } from "./reference.js";

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;

/** The operator sequence build-onnx.ts writes; an artefact with another graph is refused. */
const EXPECTED_OPS = ["Cast", "Cast", "Cast", "Cast", "Cast", "Gemm", "Relu", "Mul", "Floor", "Gemm", "Cast", "ArgMax"];

type Tensor = onnxProto.onnx.ITensorProto;

function toNum(v: number | { toNumber(): number }): number {
  return typeof v === "number" ? v : v.toNumber();
}

/** Integer values of an int8 / int32 initializer (raw_data little-endian, or int32_data). */
function tensorInts(t: Tensor, expectedType: number, dims: number[]): number[] {
  if (t.dataType !== expectedType)
    throw new Error(`initializer ${t.name}: data type ${t.dataType}, expected ${expectedType}`);
  const shape = (t.dims ?? []).map(toNum);
  if (shape.length !== dims.length || shape.some((d, i) => d !== dims[i])) {
    throw new Error(`initializer ${t.name}: shape [${shape}], expected [${dims}]`);
  }
  const n = dims.reduce((a, b) => a * b, 1);
  let out: number[];
  const raw = t.rawData && t.rawData.length > 0 ? Buffer.from(t.rawData) : undefined;
  if (raw) {
    if (expectedType === DT.INT8) out = Array.from(raw, (b) => (b << 24) >> 24);
    else if (expectedType === DT.INT32) out = Array.from({ length: raw.length / 4 }, (_, i) => raw.readInt32LE(i * 4));
    else throw new Error(`unsupported type ${expectedType}`);
  } else {
    out = (t.int32Data ?? []).map((v) => (expectedType === DT.INT8 ? (v << 24) >> 24 : v | 0));
  }
  if (out.length !== n) throw new Error(`initializer ${t.name}: ${out.length} values, expected ${n}`);
  return out;
}

function rows(flat: number[], r: number, c: number): number[][] {
  return Array.from({ length: r }, (_, i) => flat.slice(i * c, (i + 1) * c));
}

/**
 * Reads W1, b1, W2, b2 from the ONNX initializers and checks the graph is the reference graph
 * (operator sequence, inv_scale = 2^-SHIFT) and the parameters are in range.
 */
export function readOnnxWeights(file: string = ZK_PATHS.onnx): MlpWeights {
  return parseOnnxWeights(readFileSync(file));
}

export function parseOnnxWeights(bytes: Uint8Array): MlpWeights {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph) throw new Error("ONNX model has no graph");
  const ops = (graph.node ?? []).map((n) => n.opType);
  if (JSON.stringify(ops) !== JSON.stringify(EXPECTED_OPS)) {
    throw new Error(`unexpected ONNX graph: ${ops.join(",")}`);
  }
  const byName = new Map((graph.initializer ?? []).map((t) => [t.name ?? "", t]));
  const get = (name: string): Tensor => {
    const t = byName.get(name);
    if (!t) throw new Error(`ONNX initializer ${name} missing`);
    return t;
  };
  const invScale = get("inv_scale");
  const scale =
    invScale.rawData && invScale.rawData.length === 4
      ? Buffer.from(invScale.rawData).readFloatLE(0)
      : invScale.floatData?.[0];
  if (scale !== 2 ** -SHIFT) throw new Error(`ONNX inv_scale ${scale} != 2^-${SHIFT}`);
  const w: MlpWeights = {
    W1: rows(tensorInts(get("W1"), DT.INT8, [N_HIDDEN, N_IN]), N_HIDDEN, N_IN),
    b1: tensorInts(get("b1"), DT.INT32, [N_HIDDEN]),
    W2: rows(tensorInts(get("W2"), DT.INT8, [N_OUT, N_HIDDEN]), N_OUT, N_HIDDEN),
    b2: tensorInts(get("b2"), DT.INT32, [N_OUT]),
  };
  validateWeights(w);
  return w;
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/** A cached single-threaded ONNX Runtime session per file (deterministic, no thread pool left behind). */
export function onnxSession(file: string = ZK_PATHS.onnx): Promise<ort.InferenceSession> {
  let s = sessions.get(file);
  if (!s) {
    s = createSession(file);
    sessions.set(file, s);
    s.catch(() => sessions.delete(file));
  }
  return s;
}

function createSession(file: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(file, {
    executionProviders: ["cpu"],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  });
}

export interface OnnxResult {
  logits: number[];
  label: number;
}

/** Runs a batch of inputs through the ONNX model with onnxruntime-node. */
export async function runOnnxBatch(inputs: readonly (readonly number[])[], file?: string): Promise<OnnxResult[]> {
  inputs.forEach((x) => validateInput(x));
  const session = await onnxSession(file);
  const data = Int8Array.from(inputs.flat());
  const feeds = { x: new ort.Tensor("int8", data, [inputs.length, N_IN]) };
  const out = await session.run(feeds);
  const logits = out.logits.data as Int32Array;
  const labels = out.label.data as BigInt64Array;
  return inputs.map((_, n) => ({
    logits: Array.from(logits.subarray(n * N_OUT, (n + 1) * N_OUT)),
    label: Number(labels[n]),
  }));
}

export async function runOnnx(x: readonly number[], file?: string): Promise<OnnxResult> {
  return (await runOnnxBatch([x], file))[0];
}

/** Releases the cached sessions (optional; the process exits without it). */
export async function releaseOnnxSession(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  for (const p of all) await (await p.catch(() => undefined))?.release();
}
