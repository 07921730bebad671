/**
 * PROVISIONAL `quantized-mlp` pipeline for the reference 8→8→3 model only, over scripts/lib/zk (the general
 * compiler-backed pipeline for any shape replaces this file).
 */
import { AbiCoder, getBytes, hexlify } from "ethers";
import { ModelError, type LoadedBundle, type Manifest, type Pipeline, type ZkPipelineRunner } from "../types.js";

const coder = AbiCoder.defaultAbiCoder();

function parseInput(bytes: Uint8Array, m: Manifest): number[] {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ModelError("BadInput", `input is not JSON: ${(e as Error).message}`);
  }
  const arr = Array.isArray(v) ? v : (v as { input?: unknown })?.input;
  const n = m.input.length ?? 8;
  if (!Array.isArray(arr) || arr.length !== n || !arr.every((x) => Number.isInteger(x) && x >= -128 && x <= 127))
    throw new ModelError("BadInput", `input must be a JSON array of ${n} int8 values`);
  return arr as number[];
}

export const quantizedMlpPipeline: Pipeline = {
  name: "quantized-mlp",
  validate(m) {
    if (!m.files.model) throw new ModelError("BadBundle", `quantized-mlp: the bundle needs a "model" file`);
  },
  async load(bundle: LoadedBundle): Promise<ZkPipelineRunner> {
    const m = bundle.manifest;
    const { parseOnnxWeights } = await import("../../../scripts/lib/zk/onnx.js");
    const { weightsCommitment, toBytes32, inputCommitment } = await import("../../../scripts/lib/zk/commitment.js");
    const weights = parseOnnxWeights(bundle.files.model);
    if (m.zk && toBytes32(weightsCommitment(weights)) !== m.zk.weightsCommitment.toLowerCase())
      throw new ModelError("DigestMismatch", `${bundle.source}: the ONNX weights do not give zk.weightsCommitment`);
    const { createSession, runSession } = await import("../runtime.js");
    const session = await createSession(bundle.files.model, m.runtime, bundle.source);
    const run = async (input: Uint8Array) => {
      const x = parseInput(input, m);
      const out = await runSession(session, { x: { dtype: "int8", dims: [1, x.length], data: x } });
      const logits = Array.from(out.logits.data as Int32Array, (v) => BigInt(v));
      return getBytes(coder.encode(["int256[]"], [[...logits, BigInt(out.label.data[0] as bigint)]]));
    };
    return {
      run,
      async prove(input, jobTag, opts) {
        const x = parseInput(input, m);
        void inputCommitment;
        const { proveInference, encodeOutput } = await import("../../../scripts/lib/zk/prover.js");
        const { encodeProof } = await import("../../../scripts/lib/zk/escrow.js");
        const r = await proveInference({ input: x, jobTag }, { weights, singleThread: opts?.singleThread ?? true });
        return { output: getBytes(encodeOutput(r.logits, r.label)), proof: getBytes(encodeProof(r.calldata)) };
      },
      async release() {
        await session.release();
      },
    };
  },
  encodeInput(input, m) {
    const bytes = new TextEncoder().encode(JSON.stringify(input));
    parseInput(bytes, m);
    return bytes;
  },
  decodeOutput(output) {
    const [v] = coder.decode(["int256[]"], output) as unknown as [bigint[]];
    return { logits: v.slice(0, -1), label: v[v.length - 1] };
  },
  zkInputDigest(input, m) {
    const x = parseInput(input, m);
    // poseidon-lite, as scripts/lib/zk/commitment.ts computes it (Poseidon8 of the field-encoded values)
    return zkCommit(x);
  },
  tamper(output) {
    const [v] = coder.decode(["int256[]"], output) as unknown as [bigint[]];
    const n = BigInt(v.length - 1);
    const w = [...v];
    w[w.length - 1] = (w[w.length - 1] + 1n) % n;
    return getBytes(coder.encode(["int256[]"], [w]));
  },
};

import { poseidon8 } from "poseidon-lite";
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
function zkCommit(x: number[]): string {
  if (x.length !== 8) throw new ModelError("BadInput", "the provisional pipeline commits 8 values only");
  const c = poseidon8(x.map((v) => ((BigInt(v) % R) + R) % R));
  return hexlify(coder.encode(["uint256"], [c]));
}
