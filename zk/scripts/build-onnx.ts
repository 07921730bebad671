/**
 * Builds zk/model/mlp.onnx from zk/model/weights.json with onnx-proto (deterministic bytes).
 *
 * Graph (opset 17), batch dimension "N":
 *   x:int8[N,8] --Cast--> float  --Gemm(transB=1, W1f, b1f)--> z1 --Relu--> --Mul(inv_scale=2^-8)-->
 *   --Floor--> h --Gemm(transB=1, W2f, b2f)--> logits_f --Cast--> logits:int32[N,3]
 *                                                       \--ArgMax(axis=1, keepdims=0, select_last_index=0)--> label:int64[N]
 * Initializers: W1 int8[8,8], b1 int32[8], W2 int8[3,8], b2 int32[3] (the committed parameters, raw
 * little-endian data) and inv_scale float32 scalar = 2^-SHIFT.
 *
 * Exactness: every value in float32 is an integer (or an integer times 2^-8 before Floor) of magnitude
 * < 2^24, so every product, partial sum (in any order, with or without FMA), the power-of-two scaling
 * and Floor are exact: ONNX Runtime returns the same integers as the reference and the circuit.
 * floor(relu(z) / 2^S) == relu(floor(z / 2^S)) for every integer z, so the order of ReLU and shift
 * does not matter.
 *
 * Usage: npx tsx zk/scripts/build-onnx.ts
 */
import { writeFileSync } from "node:fs";
import onnxProto from "onnx-proto";
import { N_HIDDEN, N_IN, N_OUT, SHIFT, ZK_PATHS } from "../lib/constants.js";
import { loadWeightsJson } from "../lib/reference.js";
import { encodeFamilyGraph, int32Raw, int8Raw, node, tensor } from "../../src/models/zk/onnx.js";

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;

const float32Raw = (vals: number[]) => {
  const b = Buffer.alloc(vals.length * 4);
  vals.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
};

function buildModelBytes(): Uint8Array {
  const w = loadWeightsJson();
  const initializer = [
    tensor("W1", DT.INT8, [N_HIDDEN, N_IN], int8Raw(w.W1.flat())),
    tensor("b1", DT.INT32, [N_HIDDEN], int32Raw(w.b1)),
    tensor("W2", DT.INT8, [N_OUT, N_HIDDEN], int8Raw(w.W2.flat())),
    tensor("b2", DT.INT32, [N_OUT], int32Raw(w.b2)),
    tensor("inv_scale", DT.FLOAT, [], float32Raw([2 ** -SHIFT])),
  ];
  const FLOAT = DT.FLOAT;
  const nodes = [
    node("Cast", ["x"], "x_f", { to: FLOAT }),
    node("Cast", ["W1"], "W1_f", { to: FLOAT }),
    node("Cast", ["b1"], "b1_f", { to: FLOAT }),
    node("Cast", ["W2"], "W2_f", { to: FLOAT }),
    node("Cast", ["b2"], "b2_f", { to: FLOAT }),
    node("Gemm", ["x_f", "W1_f", "b1_f"], "z1", { transB: 1 }),
    node("Relu", ["z1"], "z1_relu"),
    node("Mul", ["z1_relu", "inv_scale"], "z1_scaled"),
    node("Floor", ["z1_scaled"], "h"),
    node("Gemm", ["h", "W2_f", "b2_f"], "logits_f", { transB: 1 }),
  ];
  return encodeFamilyGraph({
    name: w.name,
    nIn: N_IN,
    nOut: N_OUT,
    nodes,
    initializer,
    docString:
      "Veritas reference model: quantized 2-layer MLP 8x8x3. h = floor(relu(W1 x + b1) / 2^8); logits = W2 h + b2; label = argmax (first index on ties).",
    metadata: { "veritas.model": w.name, "veritas.seed": w.seed, "veritas.shift": String(SHIFT) },
  });
}

const bytes = buildModelBytes();
writeFileSync(ZK_PATHS.onnx, bytes);
console.log(`wrote ${ZK_PATHS.onnx} (${bytes.length} bytes)`);
