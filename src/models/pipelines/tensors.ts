/**
 * The generic `tensors` pipeline: one ONNX file (role `model`), named tensors in, named tensors out, nothing else.
 *
 * Input bytes: JSON `{ "<name>": { "dtype": "float32", "dims": [1, 4], "data": [ … ] }, … }` with one entry per
 * tensor of `manifest.input.tensors` (64-bit integers may be given as decimal strings).
 * Output bytes: canonical JSON (RFC 8785) of the same form for the tensors listed in `manifest.output.tensors`
 * (64-bit integers as decimal strings, floats as the shortest decimal that reads back to the same float).
 */
import { canonicalJson, canonicalJsonBytes, parseCanonicalJson } from "../canonical.js";
import { checkTensor, type NamedTensor } from "../tensor.js";
import { ModelError, type LoadedBundle, type Manifest, type Pipeline, type TensorSpec } from "../types.js";

/** Largest input accepted, bytes (unless the manifest's input.maxBytes says otherwise). */
const DEFAULT_MAX_INPUT = 1 << 20;

function specs(m: Manifest, side: "input" | "output"): Record<string, TensorSpec> {
  const t = m[side].tensors;
  if (m[side].kind !== "tensors" || !t || Object.keys(t).length === 0)
    throw new ModelError("BAD_BUNDLE", `tensors pipeline: manifest.${side} must be kind "tensors" with tensors`);
  return t;
}

function parseInput(bytes: Uint8Array, m: Manifest): Record<string, NamedTensor> {
  const max = m.input.maxBytes ?? DEFAULT_MAX_INPUT;
  if (bytes.length > max) throw new ModelError("BAD_INPUT", `input is ${bytes.length} bytes, more than ${max}`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ModelError("BAD_INPUT", `input is not JSON: ${(e as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ModelError("BAD_INPUT", "input must be an object of named tensors");
  const want = specs(m, "input");
  const given = value as Record<string, NamedTensor>;
  for (const k of Object.keys(given))
    if (!want[k]) throw new ModelError("BAD_INPUT", `input has tensor ${k}, the model takes ${Object.keys(want)}`);
  const feeds: Record<string, NamedTensor> = {};
  for (const [name, spec] of Object.entries(want)) {
    const t = given[name];
    if (!t || typeof t !== "object" || !Array.isArray(t.data))
      throw new ModelError("BAD_INPUT", `tensor ${name} missing`);
    const data =
      spec.dtype === "int64" || spec.dtype === "uint64"
        ? (t.data as unknown[]).map((v) => (typeof v === "string" && /^-?\d+$/.test(v) ? BigInt(v) : (v as number)))
        : (t.data as number[]);
    const tensor = { dtype: t.dtype, dims: t.dims, data };
    checkTensor(name, tensor, spec);
    feeds[name] = tensor;
  }
  return feeds;
}

function jsonValue(v: number | bigint | boolean, name: string): number | string | boolean {
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number" && !Number.isFinite(v))
    throw new ModelError("BAD_OUTPUT", `output tensor ${name} has a non-finite value (${v})`);
  return v;
}

export const tensorsPipeline: Pipeline = {
  name: "tensors",
  validate(m) {
    if (!m.files.model)
      throw new ModelError("BAD_BUNDLE", `tensors pipeline: the bundle needs a file with role "model"`);
    specs(m, "input");
    specs(m, "output");
  },
  async load(bundle: LoadedBundle) {
    this.validate(bundle.manifest);
    const m = bundle.manifest;
    const { createSession, runSession } = await import("../runtime.js");
    const session = await createSession(bundle.files.model, m.runtime, bundle.source);
    const outputs = Object.keys(specs(m, "output")).sort();
    for (const o of outputs)
      if (!session.outputNames.includes(o))
        throw new ModelError("BAD_BUNDLE", `${bundle.source}: the model has no output ${o} (${session.outputNames})`);
    return {
      async run(input) {
        const out = await runSession(session, parseInput(input, m));
        const result: Record<string, unknown> = {};
        for (const name of outputs) {
          const t = out[name];
          result[name] = { dtype: t.dtype, dims: t.dims, data: Array.from(t.data, (v) => jsonValue(v, name)) };
        }
        return canonicalJsonBytes(result);
      },
      async release() {
        await session.release();
      },
    };
  },
  encodeInput(input, m) {
    const bytes = new TextEncoder().encode(canonicalJson(input));
    parseInput(bytes, m);
    return bytes;
  },
  decodeOutput(output) {
    return parseCanonicalJson(output);
  },
  tamper(output) {
    const v = parseCanonicalJson(output) as Record<string, { data: unknown[] }>;
    const first = v[Object.keys(v)[0]];
    const x = first.data[0];
    first.data[0] = typeof x === "number" ? x + 1 : typeof x === "string" ? (BigInt(x) + 1n).toString() : !x;
    return canonicalJsonBytes(v);
  },
};
