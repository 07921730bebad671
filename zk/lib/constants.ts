/**
 * Shape, quantization and field constants of the Veritas reference ZKML model ("mlp-8x8x3").
 * Single source of truth for the TypeScript side; the circuit (zk/circuits/mlp.circom) hard-codes
 * the same numbers and the tests check that they agree.
 */
import { fileURLToPath } from "node:url";
import path from "node:path";

/** Number of int8 inputs. */
export const N_IN = 8;
/** Hidden units. */
export const N_HIDDEN = 8;
/** Output logits (classes). */
export const N_OUT = 3;
/** Power-of-two rescale after layer 1: h = max(z, 0) >> SHIFT (floor division by 2^SHIFT). */
export const SHIFT = 8;

/** Inputs and weights are int8: [-128, 127]. */
export const INT8_MIN = -128;
export const INT8_MAX = 127;
/** Biases are int16 ([-32768, 32767]); they are stored as int32 initializers in the ONNX file. */
export const BIAS_MIN = -(2 ** 15);
export const BIAS_MAX = 2 ** 15 - 1;

/** Number of committed parameters: W1 (8x8), b1 (8), W2 (3x8), b2 (3). */
export const N_PARAMS = N_HIDDEN * N_IN + N_HIDDEN + N_OUT * N_HIDDEN + N_OUT; // 99
/** The commitment chain's rate and the BN254 scalar field order r (negatives are r - |v|): the SDK's, src/zk.ts. */
export { COMMIT_RATE, FIELD_R } from "../../src/zk.js";

/** Number of public signals: logits[3], label, weightsCommitment, inputCommitment, jobTag. */
export const N_PUBLIC = N_OUT + 1 + 3;

const here = path.dirname(fileURLToPath(import.meta.url));
/** Repository root (zk/lib -> ../..). */
export const REPO_ROOT = path.resolve(here, "..", "..");

/** Paths of the committed model and circuit artefacts. */
export const ZK_PATHS = {
  root: path.join(REPO_ROOT, "zk"),
  weightsJson: path.join(REPO_ROOT, "zk", "model", "weights.json"),
  onnx: path.join(REPO_ROOT, "zk", "model", "mlp.onnx"),
  vectors: path.join(REPO_ROOT, "zk", "model", "vectors.json"),
  circuit: path.join(REPO_ROOT, "zk", "circuits", "mlp.circom"),
  build: path.join(REPO_ROOT, "zk", "build"),
  r1cs: path.join(REPO_ROOT, "zk", "build", "mlp.r1cs"),
  wasm: path.join(REPO_ROOT, "zk", "build", "mlp.wasm"),
  zkey: path.join(REPO_ROOT, "zk", "build", "mlp_final.zkey"),
  vkey: path.join(REPO_ROOT, "zk", "build", "verification_key.json"),
  solidityVerifier: path.join(REPO_ROOT, "contracts", "verifiers", "MlpGroth16Verifier.sol"),
  groth16Template: path.join(REPO_ROOT, "node_modules", "snarkjs", "templates", "verifier_groth16.sol.ejs"),
} as const;
