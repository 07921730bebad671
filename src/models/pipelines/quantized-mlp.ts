/**
 * `quantized-mlp`: every model of the quantized-MLP family (src/models/zk/family.ts), any number of layers of any
 * width. The bundle's ONNX file is parsed into the family (refused if it is outside it); the manifest's input length
 * and output length must match its shape and `zk.weightsCommitment` must be the commitment of its initializers.
 * `run` executes the ONNX file with onnxruntime-node; `prove` proves the same integers with the bundle's Groth16
 * witness generator and proving key (made by zk/scripts/compile.ts).
 *
 * Input: a JSON array of nIn int8 values (or {"input": [...]}). Output: abi.encode(int256[] [...logits, label]).
 */
import { parseFamilyOnnx } from "../zk/onnx.js";
import {
  commitInput,
  decodeOutput,
  encodeOutput,
  FamilyError,
  toBytes32,
  weightsCommitment,
  type FamilyModel,
} from "../zk/family.js";
import { ModelError, type LoadedBundle, type Manifest, type Pipeline, type ZkPipelineRunner } from "../types.js";

function parseInput(bytes: Uint8Array, m: Manifest): number[] {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ModelError("BAD_INPUT", `input is not JSON: ${(e as Error).message}`);
  }
  const arr = Array.isArray(v) ? v : (v as { input?: unknown })?.input;
  const n = m.input.length;
  if (!Array.isArray(arr) || arr.length !== n || !arr.every((x) => Number.isInteger(x) && x >= -128 && x <= 127))
    throw new ModelError("BAD_INPUT", `input must be a JSON array of ${n} int8 values`);
  return arr as number[];
}

/** The family model of a bundle, checked against its manifest. Throws ModelError. */
export function familyModelOf(bundle: LoadedBundle): {
  model: FamilyModel;
  input: string;
  logits: string;
  label: string;
} {
  const m = bundle.manifest;
  let parsed: ReturnType<typeof parseFamilyOnnx>;
  try {
    parsed = parseFamilyOnnx(bundle.files.model);
  } catch (e) {
    if (e instanceof FamilyError) throw new ModelError("BAD_BUNDLE", `${bundle.source}: ${e.message}`);
    throw e;
  }
  const { model } = parsed;
  const nOut = model.layers[model.layers.length - 1].W.length;
  if (m.input.length !== model.nIn)
    throw new ModelError(
      "BAD_BUNDLE",
      `${bundle.source}: input.length ${m.input.length}, the ONNX model takes ${model.nIn}`,
    );
  if (m.output.length !== nOut + 1)
    throw new ModelError(
      "BAD_BUNDLE",
      `${bundle.source}: output.length ${m.output.length}, the model gives ${nOut} logits + label`,
    );
  if (m.zk && toBytes32(weightsCommitment(model)) !== m.zk.weightsCommitment.toLowerCase())
    throw new ModelError("DIGEST_MISMATCH", `${bundle.source}: the ONNX weights do not give zk.weightsCommitment`);
  return parsed;
}

export const quantizedMlpPipeline: Pipeline = {
  name: "quantized-mlp",
  validate(m) {
    if (!m.files.model) throw new ModelError("BAD_BUNDLE", `quantized-mlp: the bundle needs a "model" file`);
    if (m.input.kind !== "int8-vector" || !Number.isInteger(m.input.length) || m.input.length! < 1)
      throw new ModelError("BAD_BUNDLE", `quantized-mlp: input must be an int8-vector with a length`);
    if (m.output.kind !== "int256-array" || !Number.isInteger(m.output.length) || m.output.length! < 3)
      throw new ModelError("BAD_BUNDLE", `quantized-mlp: output must be an int256-array of logits + label`);
  },
  async load(bundle: LoadedBundle): Promise<ZkPipelineRunner> {
    const m = bundle.manifest;
    const { model, input, logits, label } = familyModelOf(bundle);
    const { createSession, runSession } = await import("../runtime.js");
    const session = await createSession(bundle.files.model, m.runtime, bundle.source);
    return {
      async run(bytes) {
        const x = parseInput(bytes, m);
        const out = await runSession(session, { [input]: { dtype: "int8", dims: [1, x.length], data: x } });
        return encodeOutput(Array.from(out[logits].data as Int32Array), out[label].data[0] as bigint);
      },
      async prove(bytes, jobTag, opts) {
        if (!m.zk) throw new ModelError("BAD_BUNDLE", `${bundle.source}: the bundle has no zk section`);
        const x = parseInput(bytes, m);
        const { proveFamily } = await import("../zk/prove.js");
        const artefacts = { wasm: bundle.files[m.zk.wasm], zkey: bundle.files[m.zk.zkey] };
        const p = await proveFamily(model, artefacts, x, jobTag, { singleThread: opts?.singleThread ?? true });
        return { output: p.output, proof: p.proof };
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
    return decodeOutput(output);
  },
  zkInputDigest(input, m) {
    return toBytes32(commitInput(parseInput(input, m)));
  },
  tamper(output) {
    const { logits, label } = decodeOutput(output);
    return encodeOutput(logits, (label + 1n) % BigInt(logits.length));
  },
};
