/**
 * Integer reference implementation of the Veritas reference model (quantized 2-layer MLP).
 *
 *   z[j]      = b1[j] + sum_i W1[j][i] * x[i]                 (exact integers)
 *   h[j]      = floor(max(z[j], 0) / 2^SHIFT)                 (= max(z[j] >> SHIFT, 0), arithmetic shift)
 *   logits[k] = b2[k] + sum_j W2[k][j] * h[j]                 (may be negative)
 *   label     = argmax_k logits[k], ties -> lowest index
 *
 * The circuit, this file and the ONNX graph compute exactly the same integers.
 */
import { readFileSync } from "node:fs";
import { BIAS_MAX, BIAS_MIN, INT8_MAX, INT8_MIN, N_HIDDEN, N_IN, N_OUT, SHIFT, ZK_PATHS } from "./constants.js";

export interface MlpWeights {
  /** Layer-1 weights, [N_HIDDEN][N_IN] (row j = hidden unit j), int8. */
  W1: number[][];
  /** Layer-1 biases, [N_HIDDEN], int16. */
  b1: number[];
  /** Layer-2 weights, [N_OUT][N_HIDDEN], int8. */
  W2: number[][];
  /** Layer-2 biases, [N_OUT], int16. */
  b2: number[];
}

export interface WeightsFile extends MlpWeights {
  name: string;
  seed: string;
  shift: number;
  shape: { in: number; hidden: number; out: number };
}

export interface InferenceResult {
  hidden: number[];
  logits: number[];
  label: number;
}

function checkInt(v: unknown, lo: number, hi: number, what: string): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new Error(`${what} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  }
}

function checkMatrix(m: unknown, rows: number, cols: number, lo: number, hi: number, what: string): void {
  if (!Array.isArray(m) || m.length !== rows) throw new Error(`${what} must have ${rows} rows`);
  m.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== cols) throw new Error(`${what}[${r}] must have ${cols} columns`);
    row.forEach((v, c) => checkInt(v, lo, hi, `${what}[${r}][${c}]`));
  });
}

/** Throws unless the weights have the model's shape and ranges (int8 weights, int16 biases). */
export function validateWeights(w: MlpWeights): void {
  checkMatrix(w.W1, N_HIDDEN, N_IN, INT8_MIN, INT8_MAX, "W1");
  checkMatrix([w.b1], 1, N_HIDDEN, BIAS_MIN, BIAS_MAX, "b1");
  checkMatrix(w.W2, N_OUT, N_HIDDEN, INT8_MIN, INT8_MAX, "W2");
  checkMatrix([w.b2], 1, N_OUT, BIAS_MIN, BIAS_MAX, "b2");
}

/** Throws unless x is N_IN int8 values. */
export function validateInput(x: readonly number[]): void {
  if (!Array.isArray(x) || x.length !== N_IN) throw new Error(`input must have ${N_IN} values`);
  x.forEach((v, i) => checkInt(v, INT8_MIN, INT8_MAX, `input[${i}]`));
}

/** Reads and validates zk/model/weights.json (the source the ONNX file is built from). */
export function loadWeightsJson(file: string = ZK_PATHS.weightsJson): WeightsFile {
  const w = JSON.parse(readFileSync(file, "utf8")) as WeightsFile;
  if (w.shift !== SHIFT) throw new Error(`weights.json shift ${w.shift} != ${SHIFT}`);
  validateWeights(w);
  return w;
}

/** Floor division by 2^SHIFT of a non-negative integer (no float rounding involved). */
function shiftDown(v: number): number {
  return Math.floor(v / 2 ** SHIFT);
}

/** Index of the largest value; ties go to the lowest index. */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k] > values[best]) best = k;
  return best;
}

/** Runs the integer model. All intermediate values stay far below 2^53 (|z| < 2^18, |logit| < 2^21). */
export function forward(weights: MlpWeights, x: readonly number[]): InferenceResult {
  validateInput(x);
  const hidden = weights.W1.map((row, j) => {
    let z = weights.b1[j];
    for (let i = 0; i < N_IN; i++) z += row[i] * x[i];
    return z > 0 ? shiftDown(z) : 0;
  });
  const logits = weights.W2.map((row, k) => {
    let acc = weights.b2[k];
    for (let j = 0; j < N_HIDDEN; j++) acc += row[j] * hidden[j];
    return acc;
  });
  return { hidden, logits, label: argmax(logits) };
}
