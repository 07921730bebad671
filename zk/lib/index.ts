/** Veritas ZKML library for the reference model (quantized MLP 8x8x3, Groth16 over BN254). */
export * from "./constants.js";
export * from "./reference.js";
export * from "./onnx.js";
export * from "./commitment.js";
export * from "./prover.js";
export * from "./verifier-export.js";
export { releaseSnarkjs } from "./snark.js";
