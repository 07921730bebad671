/**
 * Poseidon commitments used as public signals of the Groth16 circuit (zk/circuits/mlp.circom).
 *
 * Field encoding: an integer v becomes v mod r (negatives: r - |v|), r = BN254 scalar field order.
 *
 * weightsCommitment (parameter order, 99 values):
 *   v = W1 row-major ([hidden j][input i], 64) || b1 (8) || W2 row-major ([out k][hidden j], 24) || b2 (3)
 *   zero-pad v to 105 = 7 * 15 values;
 *   c_0 = 99; c_k = Poseidon16(c_{k-1}, v[15(k-1)] .. v[15(k-1)+14]) for k = 1..7; commitment = c_7.
 * inputCommitment = Poseidon8(x[0], ..., x[7]).
 *
 * Poseidon is the circomlib instance (poseidon-lite is bit-compatible with circomlib's Poseidon(n)).
 */
import { chainCommit, commitInput } from "../../src/zk.js";
import { N_IN, N_PARAMS, ZK_PATHS } from "./constants.js";
import { readOnnxWeights } from "./onnx.js";
import { validateInput, validateWeights, type MlpWeights } from "./reference.js";

/** Integer <-> BN254 field element (negatives r - |v|): the SDK's encoding, src/zk.ts. */
export { fromField, toField } from "../../src/zk.js";

/** The 99 parameters in commitment order: W1 row-major, b1, W2 row-major, b2. */
export function flattenWeights(w: MlpWeights): number[] {
  validateWeights(w);
  return [...w.W1.flat(), ...w.b1, ...w.W2.flat(), ...w.b2];
}

/** Chained Poseidon16 commitment over the parameters (see module comment; src/zk.ts chainCommit). */
export function weightsCommitment(w: MlpWeights): bigint {
  const v = flattenWeights(w);
  if (v.length !== N_PARAMS) throw new Error("unexpected parameter count");
  return chainCommit(v);
}

/** weightsCommitment of the ONNX artefact, computed from its initializers (not from weights.json). */
export function weightsCommitmentFromOnnx(file: string = ZK_PATHS.onnx): bigint {
  return weightsCommitment(readOnnxWeights(file));
}

/** Poseidon8 over the 8 int8 inputs as field elements. */
export function inputCommitment(x: readonly number[]): bigint {
  validateInput(x);
  if (x.length !== N_IN) throw new Error("bad input length");
  return commitInput(x);
}

/** bytes32 hex form (e.g. for the registry's weights digest field). */
export { toBytes32 } from "../../src/zk.js";
