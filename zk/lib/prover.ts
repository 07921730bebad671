/**
 * Groth16 prover for the reference model, on the committed artefacts zk/build/mlp.wasm and
 * zk/build/mlp_final.zkey.
 *
 * Public signals (7, in this order; negatives as r - |v|):
 *   [logits0, logits1, logits2, label, weightsCommitment, inputCommitment, jobTag]
 *
 * On-chain output format (what the escrow records and the contract decodes to rebuild the public
 * signals): abi.encode(int256[] [logits0, logits1, logits2, label]) — see encodeOutput.
 */
import { readFileSync } from "node:fs";
import { AbiCoder } from "ethers";
import * as snarkjs from "snarkjs";
import { FIELD_R, N_OUT, N_PUBLIC, ZK_PATHS } from "./constants.js";
import { fromField, inputCommitment, toField, weightsCommitment } from "./commitment.js";
import { readOnnxWeights } from "./onnx.js";
import { forward, validateInput, type MlpWeights } from "./reference.js";
import { releaseSnarkjs } from "./snark.js";
import { groth16Calldata, type Groth16Calldata } from "../../src/models/zk/prove.js";

export interface ProveRequest {
  /** 8 int8 values. */
  input: number[];
  /** Job tag (the escrow computes keccak256(...) mod r on chain); must be < r. */
  jobTag: bigint;
}

/** Arguments of a generated verifier's verifyProof(pA, pB, pC, pubSignals). */
export type SolidityCalldata = Groth16Calldata;

export interface ProveResult {
  logits: number[];
  label: number;
  /** Decimal strings as snarkjs returns them. */
  publicSignals: string[];
  proof: snarkjs.Groth16Proof;
  /** Arguments of MlpGroth16Verifier.verifyProof(pA, pB, pC, pubSignals). */
  calldata: SolidityCalldata;
  /** Proving time in ms (witness + proof). */
  provingMs: number;
}

export interface ProveOptions {
  /**
   * true (default): snarkjs runs on the main thread, no worker pool is created and nothing needs to
   * be released. false: snarkjs' worker-thread pool (faster on several cores); call
   * releaseSnarkjs() (or proveInference(..., { release: true })) before the process should exit.
   */
  singleThread?: boolean;
  /** Terminate snarkjs' shared curve after proving (only matters with singleThread: false). */
  release?: boolean;
  /** Override the model weights (defaults to the ONNX artefact's initializers). */
  weights?: MlpWeights;
}

let cachedWeights: MlpWeights | undefined;
let cachedCommitment: bigint | undefined;
function modelWeights(): { weights: MlpWeights; commitment: bigint } {
  cachedWeights ??= readOnnxWeights(ZK_PATHS.onnx);
  cachedCommitment ??= weightsCommitment(cachedWeights); // == weightsCommitmentFromOnnx(ZK_PATHS.onnx)
  return { weights: cachedWeights, commitment: cachedCommitment };
}

const fieldStr = (v: number | bigint) => toField(v).toString();

type MemFile = { type: "mem"; data: Uint8Array };
let artefacts: { wasm: MemFile; zkey: MemFile } | undefined;
/** The committed witness generator and proving key, read once and kept in memory. */
function provingArtefacts(): { wasm: MemFile; zkey: MemFile } {
  artefacts ??= {
    wasm: { type: "mem", data: readFileSync(ZK_PATHS.wasm) },
    zkey: { type: "mem", data: readFileSync(ZK_PATHS.zkey) },
  };
  return artefacts;
}
/**
 * circom_runtime allocates a 2 GiB WebAssembly.Memory per witness for circom-1 circuits; a circom-2
 * witness generator (ours) brings its own memory and ignores it, so ask for one page.
 */
const WTNS_OPTIONS = { memorySize: 1 };

/** The circuit's input object (all values as decimal field elements). */
export function buildCircuitInput(
  input: readonly number[],
  jobTag: bigint,
  weights?: MlpWeights,
): Record<string, unknown> {
  validateInput(input);
  if (jobTag < 0n || jobTag >= FIELD_R) throw new Error("jobTag must be in [0, r)");
  const m = weights ? { weights, commitment: weightsCommitment(weights) } : modelWeights();
  const w = m.weights;
  return {
    weightsCommitment: m.commitment.toString(),
    inputCommitment: inputCommitment(input).toString(),
    jobTag: jobTag.toString(),
    x: input.map(fieldStr),
    W1: w.W1.map((r) => r.map(fieldStr)),
    b1: w.b1.map(fieldStr),
    W2: w.W2.map((r) => r.map(fieldStr)),
    b2: w.b2.map(fieldStr),
  };
}

/** Computes the full witness with the committed wasm; returns the 7 public signals (field elements; see fromField for signed values). */
export async function computePublicSignals(input: readonly number[], jobTag: bigint): Promise<bigint[]> {
  const wtns = { type: "mem" as const };
  await snarkjs.wtns.calculate(buildCircuitInput(input, jobTag), provingArtefacts().wasm, wtns, WTNS_OPTIONS);
  const w = await snarkjs.wtns.exportJson(wtns);
  // witness[0] is the constant 1; then outputs, then public inputs.
  return w.slice(1, 1 + N_PUBLIC).map((v) => BigInt(v));
}

/** Signed value of a public signal (logits may be negative). */
export const signalToInt = (s: string | bigint): bigint => fromField(s);

/** Proves one inference of the reference model. */
export async function proveInference(req: ProveRequest, opts: ProveOptions = {}): Promise<ProveResult> {
  const singleThread = opts.singleThread ?? true;
  const expected = forward(opts.weights ?? modelWeights().weights, req.input);
  const { wasm, zkey } = provingArtefacts();
  const t0 = performance.now();
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(
    buildCircuitInput(req.input, req.jobTag, opts.weights),
    wasm,
    zkey,
    undefined,
    WTNS_OPTIONS,
    { singleThread },
  );
  const provingMs = performance.now() - t0;
  if (opts.release) await releaseSnarkjs();

  const logits = publicSignals.slice(0, N_OUT).map((s) => Number(fromField(s)));
  const label = Number(publicSignals[N_OUT]);
  if (JSON.stringify(logits) !== JSON.stringify(expected.logits) || label !== expected.label) {
    throw new Error(
      `circuit output ${logits}/${label} differs from the reference ${expected.logits}/${expected.label}`,
    );
  }
  return { logits, label, publicSignals, proof, calldata: toSolidityCalldata(proof, publicSignals), provingMs };
}

/** verifyProof arguments; G2 coordinates are swapped (c1, c0) as the EVM pairing precompile expects. */
export const toSolidityCalldata = (proof: snarkjs.Groth16Proof, publicSignals: readonly (string | bigint)[]) =>
  groth16Calldata(proof, publicSignals);

/** On-chain output bytes: abi.encode(int256[] [logits0, logits1, logits2, label]). */
export function encodeOutput(logits: readonly (number | bigint)[], label: number | bigint): string {
  if (logits.length !== N_OUT) throw new Error(`expected ${N_OUT} logits`);
  return AbiCoder.defaultAbiCoder().encode(["int256[]"], [[...logits, label].map((v) => BigInt(v))]);
}

/** Inverse of encodeOutput. */
export function decodeOutput(data: string): { logits: bigint[]; label: bigint } {
  const [vals] = AbiCoder.defaultAbiCoder().decode(["int256[]"], data) as unknown as [bigint[]];
  if (vals.length !== N_OUT + 1) throw new Error("bad output length");
  return { logits: [...vals.slice(0, N_OUT)], label: vals[N_OUT] };
}

/**
 * Public signals the escrow rebuilds on chain from an output and the job: each int256 v -> v mod r
 * (negatives r + v), then weightsCommitment, inputCommitment, jobTag.
 */
export function publicSignalsFor(
  logits: readonly (number | bigint)[],
  label: number | bigint,
  weightsCommitment: bigint,
  inputCommitmentValue: bigint,
  jobTag: bigint,
): bigint[] {
  return [...logits.map((v) => toField(v)), toField(label), weightsCommitment, inputCommitmentValue, jobTag];
}

export { releaseSnarkjs };
