/** Named tensors as plain data, and their checks against a schema (no runtime needed: the client uses these). */
import { ModelError, type TensorDType, type TensorSpec } from "./types.js";

/** A tensor as plain data: element type, dimensions, values (int64/uint64 as bigint). */
export type NamedTensor = { dtype: TensorDType; dims: number[]; data: ArrayLike<number | bigint | boolean> };

const RANGES: Partial<Record<TensorDType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
};

/** Checks `t` against its schema entry (element type, rank, fixed dimensions, value count and range). */
export function checkTensor(name: string, t: NamedTensor, spec: TensorSpec): void {
  const fail = (msg: string): never => {
    throw new ModelError("BAD_INPUT", `tensor ${name}: ${msg}`);
  };
  if (t.dtype !== spec.dtype) fail(`element type ${t.dtype}, the model takes ${spec.dtype}`);
  if (!Array.isArray(t.dims) || t.dims.some((d) => !Number.isSafeInteger(d) || d < 0)) fail("dims invalid");
  if (t.dims.length !== spec.shape.length)
    fail(`shape [${t.dims}] has rank ${t.dims.length}, the model takes rank ${spec.shape.length} [${spec.shape}]`);
  spec.shape.forEach((d, i) => {
    if (typeof d === "number" && t.dims[i] !== d) fail(`shape [${t.dims}], the model takes [${spec.shape}]`);
  });
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== n) fail(`${t.data.length} values for shape [${t.dims}] (${n} expected)`);
  const range = RANGES[t.dtype];
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i];
    if (t.dtype === "bool") {
      if (typeof v !== "boolean" && v !== 0 && v !== 1) fail(`value ${i} is not a bool`);
    } else if (t.dtype === "int64" || t.dtype === "uint64") {
      let b: bigint;
      try {
        b = BigInt(v as number | bigint);
      } catch {
        fail(`value ${i} is not an integer`);
      }
      if (t.dtype === "uint64" ? b! < 0n || b! >= 1n << 64n : b! < -(1n << 63n) || b! >= 1n << 63n)
        fail(`value ${i} out of range for ${t.dtype}`);
    } else if (typeof v !== "number" || !Number.isFinite(v)) fail(`value ${i} is not a finite number`);
    else if (range && (!Number.isInteger(v) || v < range[0] || v > range[1]))
      fail(`value ${i} (${v}) out of range for ${t.dtype}`);
  }
}
