/**
 * The quantized-MLP family that Veritas compiles to Groth16 circuits (zk/scripts/compile.ts): any number of dense
 * layers of any width over an int8 input vector.
 *
 *   a_0     = x                                    x int8[nIn]
 *   z_l     = W_l a_{l-1} + b_l                    W_l int8[out][in], b_l int16 (stored as int32)
 *   a_l     = floor(max(z_l, 0) / 2^S_l)           hidden layers (ReLU, then a power-of-two rescale; S_l may be 0)
 *   logits  = z_L                                  the last layer has no activation; logits may be negative
 *   label   = argmax(logits), ties -> lowest index
 *
 * Everything here is exact integer arithmetic: ONNX Runtime (float32), this reference and the circuit agree bit for
 * bit as long as every |value| < 2^24, which `boundsOf` checks from the shapes alone (worst case over all int8 inputs
 * and all int8/int16 parameters), so the circuit's range checks hold for every witness.
 *
 * Commitments (public signals of the circuit; Poseidon = circomlib's Poseidon(n) = poseidon-lite's poseidonN; an
 * integer v is the field element v mod r, negatives r - |v|):
 *   weightsCommitment: v = W_1 (row-major [out][in]) || b_1 || W_2 || b_2 || ... || W_L || b_L (P values), zero-padded
 *     to a multiple of 15; c_0 = P; c_k = Poseidon16(c_{k-1}, v[15(k-1)] .. v[15(k-1)+14]); the commitment is the
 *     last c_k. For the reference 8->8->3 model this is exactly zk/README.md's rule (99 parameters, 7 chunks).
 *   inputCommitment: Poseidon_n(x) for n <= 16 (Poseidon8 for the reference model); for n > 16 the same chain as the
 *     weights over x (c_0 = n).
 */
import { AbiCoder, getBytes } from "ethers";
import { chainCommit, commitInput, FamilyError, FIELD_R, toField } from "../../zk.js";

// The field encoding and the input commitment are the SDK's (src/zk.ts): a requester computes a ZK job's inputDigest
// without this module.
export {
  chainCommit,
  COMMIT_RATE,
  commitInput,
  FamilyError,
  FIELD_R,
  fromField,
  toBytes32,
  toField,
} from "../../zk.js";

/** Inputs and weights are int8. */
export const INT8_MIN = -128;
export const INT8_MAX = 127;
/** Biases are int16. */
export const BIAS_MIN = -(2 ** 15);
export const BIAS_MAX = 2 ** 15 - 1;
/** float32 represents every integer of magnitude <= 2^24 exactly. */
export const FLOAT32_EXACT = 2 ** 24;
/** Largest rescale accepted (keeps 2^-S a normal float32 and the circuit's bit decompositions small). */
export const MAX_SHIFT = 24;

/** One dense layer: `W[out][in]`, `b[out]`; `shift` for hidden layers (absent on the last layer). */
export interface FamilyLayer {
  W: number[][];
  b: number[];
  shift?: number;
}

/** A model of the family. */
export interface FamilyModel {
  nIn: number;
  layers: FamilyLayer[];
}

/** Per-layer worst-case bounds, all checked against float32 exactness. */
export interface LayerBounds {
  nIn: number;
  nOut: number;
  /** max |z| over every int8 input and every in-range parameter. */
  maxAbsZ: number;
  /** bits: |z| < 2^zBits (the circuit decomposes z + 2^zBits into zBits + 1 bits). */
  zBits: number;
  /** hidden layers: 0 <= a < 2^(zBits - shift) */
  shift?: number;
  maxAct?: number;
}

const isInt = (v: unknown, lo: number, hi: number): v is number =>
  Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

/** Checks shapes and ranges; returns the bounds of every layer. Throws FamilyError. */
export function boundsOf(m: FamilyModel): LayerBounds[] {
  if (!Number.isInteger(m.nIn) || m.nIn < 1) throw new FamilyError(`nIn must be a positive integer, got ${m.nIn}`);
  if (m.layers.length < 1) throw new FamilyError("the model has no layer");
  let width = m.nIn;
  let maxAbsIn = 128; // |int8| <= 128
  const out: LayerBounds[] = [];
  m.layers.forEach((l, i) => {
    const name = `layer ${i + 1}`;
    const last = i === m.layers.length - 1;
    if (l.W.length < 1) throw new FamilyError(`${name}: W has no rows`);
    if (l.b.length !== l.W.length) throw new FamilyError(`${name}: ${l.b.length} biases for ${l.W.length} outputs`);
    for (const row of l.W) {
      if (row.length !== width)
        throw new FamilyError(`${name}: a row of W has ${row.length} inputs, expected ${width}`);
      if (!row.every((w) => isInt(w, INT8_MIN, INT8_MAX))) throw new FamilyError(`${name}: a weight is not int8`);
    }
    if (!l.b.every((b) => isInt(b, BIAS_MIN, BIAS_MAX))) throw new FamilyError(`${name}: a bias is not int16`);
    if (last && l.shift !== undefined) throw new FamilyError(`${name}: the last layer has no activation or shift`);
    if (!last && !isInt(l.shift, 0, MAX_SHIFT))
      throw new FamilyError(`${name}: shift must be an integer in [0, ${MAX_SHIFT}]`);
    if (last && l.W.length < 2) throw new FamilyError(`${name}: ArgMax needs at least 2 logits`);
    const maxAbsZ = width * 128 * maxAbsIn + 2 ** 15;
    if (maxAbsZ >= FLOAT32_EXACT)
      throw new FamilyError(
        `${name}: |z| can reach ${maxAbsZ} >= 2^24, not exact in float32 (narrow the layer or raise the previous shift)`,
      );
    let zBits = 1;
    while (2 ** zBits <= maxAbsZ) zBits++;
    const b: LayerBounds = { nIn: width, nOut: l.W.length, maxAbsZ, zBits };
    if (!last) {
      const shift = l.shift!;
      if (shift >= zBits) throw new FamilyError(`${name}: shift ${shift} clears every bit of z (|z| < 2^${zBits})`);
      b.shift = shift;
      b.maxAct = 2 ** (zBits - shift) - 1;
      maxAbsIn = b.maxAct;
    }
    out.push(b);
    width = l.W.length;
  });
  return out;
}

/** Number of inputs and outputs (logits). */
export const shapeOf = (m: FamilyModel): number[] => [m.nIn, ...m.layers.map((l) => l.W.length)];
/** "4x16x3" */
export const shapeName = (m: FamilyModel): string => shapeOf(m).join("x");

/** Checks an input vector: nIn int8 values. Throws FamilyError. */
export function checkInput(m: FamilyModel, x: readonly unknown[]): asserts x is number[] {
  if (x.length !== m.nIn) throw new FamilyError(`the model takes ${m.nIn} int8 values, got ${x.length}`);
  if (!x.every((v) => isInt(v, INT8_MIN, INT8_MAX))) throw new FamilyError("every input value must be an int8 integer");
}

/** The reference forward pass (exact integers). */
export function forward(m: FamilyModel, x: readonly number[]): { logits: number[]; label: number } {
  checkInput(m, x);
  let a: number[] = [...x];
  for (const l of m.layers) {
    const z = l.W.map((row, k) => row.reduce((acc, w, i) => acc + w * a[i], l.b[k]));
    a = l.shift === undefined ? z : z.map((v) => Math.floor(Math.max(v, 0) / 2 ** l.shift!));
  }
  let label = 0;
  for (let k = 1; k < a.length; k++) if (a[k] > a[label]) label = k;
  return { logits: a, label };
}

/** The parameters in commitment order: W_1 row-major, b_1, ..., W_L, b_L. */
export function flatParams(m: FamilyModel): number[] {
  return m.layers.flatMap((l) => [...l.W.flat(), ...l.b]);
}

export function weightsCommitment(m: FamilyModel): bigint {
  boundsOf(m);
  return chainCommit(flatParams(m));
}

/** commitInput after checking the input fits the model. */
export function inputCommitment(m: FamilyModel, x: readonly number[]): bigint {
  checkInput(m, x);
  return commitInput(x);
}

const coder = AbiCoder.defaultAbiCoder();

/** On-chain output bytes: abi.encode(int256[] [...logits, label]). */
export function encodeOutput(logits: readonly (number | bigint)[], label: number | bigint): Uint8Array {
  return getBytes(coder.encode(["int256[]"], [[...logits, label].map((v) => BigInt(v))]));
}

/** Inverse of encodeOutput. */
export function decodeOutput(output: Uint8Array | string): { logits: bigint[]; label: bigint } {
  const [v] = coder.decode(["int256[]"], output) as unknown as [bigint[]];
  if (v.length < 3) throw new FamilyError(`an output has at least 2 logits and a label, got ${v.length} values`);
  return { logits: [...v.slice(0, -1)], label: v[v.length - 1] };
}

/** The circuit's input object (signal name -> decimal field elements), as zk/scripts/compile.ts names the signals. */
export function circuitInput(m: FamilyModel, x: readonly number[], jobTag: bigint): Record<string, unknown> {
  if (jobTag < 0n || jobTag >= FIELD_R) throw new FamilyError("jobTag must be in [0, r)");
  const f = (v: number) => toField(v).toString();
  const input: Record<string, unknown> = {
    weightsCommitment: weightsCommitment(m).toString(),
    inputCommitment: inputCommitment(m, x).toString(),
    jobTag: jobTag.toString(),
    x: x.map(f),
  };
  m.layers.forEach((l, i) => {
    input[`W${i + 1}`] = l.W.map((r) => r.map(f));
    input[`b${i + 1}`] = l.b.map(f);
  });
  return input;
}

/** Public signals in circuit order: [...logits, label, weightsCommitment, inputCommitment, jobTag]. */
export function publicSignals(m: FamilyModel, x: readonly number[], jobTag: bigint): bigint[] {
  const { logits, label } = forward(m, x);
  return [...logits.map(toField), BigInt(label), weightsCommitment(m), inputCommitment(m, x), jobTag];
}
