/**
 * ONNX <-> the quantized-MLP family (family.ts). `parseFamilyOnnx` reads a model from the graph's dataflow, not from
 * a fixed operator list, and refuses anything outside the family with a message naming the node:
 *
 *   x: int8[N, nIn] -> Cast(float)
 *   per layer:  Gemm(a, W, b; transA 0, transB 0 or 1, alpha = beta = 1)   or   MatMul(a, W) then Add(_, b)
 *               W an int8 initializer (directly or through a Cast to float), b an int8/int16/int32 initializer [out]
 *               or [1, out] (idem)
 *   hidden:     Relu, then Mul by a float32 scalar 2^-S and Floor (or neither: S = 0)
 *   outputs:    Cast(logits_f -> int32) and ArgMax(logits_f; axis 1 or -1, keepdims 0, select_last_index 0), the two
 *               graph outputs, in any order (their names are the output tensors the pipeline reads)
 *
 * `buildFamilyOnnx` writes a model in either form (deterministic bytes, IR 8, opset 17).
 */
import onnxProto from "onnx-proto";
import { boundsOf, FamilyError, type FamilyLayer, type FamilyModel } from "./family.js";

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;
type Tensor = onnxProto.onnx.ITensorProto;
type Node = onnxProto.onnx.INodeProto;

const num = (v: number | { toNumber(): number } | null | undefined): number =>
  v == null ? 0 : typeof v === "number" ? v : v.toNumber();

/** Integer values of an int8/int16/int32 initializer (raw little-endian data or int32_data). */
function ints(t: Tensor): number[] {
  const raw = t.rawData && t.rawData.length > 0 ? Buffer.from(t.rawData) : undefined;
  switch (t.dataType) {
    case DT.INT8:
      return raw ? Array.from(raw, (b) => (b << 24) >> 24) : (t.int32Data ?? []).map((v) => (v << 24) >> 24);
    case DT.INT16:
      return raw
        ? Array.from({ length: raw.length / 2 }, (_, i) => raw.readInt16LE(2 * i))
        : (t.int32Data ?? []).map((v) => (v << 16) >> 16);
    case DT.INT32:
      return raw
        ? Array.from({ length: raw.length / 4 }, (_, i) => raw.readInt32LE(4 * i))
        : (t.int32Data ?? []).map((v) => v | 0);
    default:
      throw new FamilyError(`initializer ${t.name}: data type ${t.dataType} is not int8/int16/int32`);
  }
}

function floatScalar(t: Tensor): number {
  if (t.dataType !== DT.FLOAT) throw new FamilyError(`initializer ${t.name}: the rescale must be a float32 scalar`);
  const raw = t.rawData && t.rawData.length > 0 ? Buffer.from(t.rawData) : undefined;
  const vals = raw ? Array.from({ length: raw.length / 4 }, (_, i) => raw.readFloatLE(4 * i)) : (t.floatData ?? []);
  if (vals.length !== 1) throw new FamilyError(`initializer ${t.name}: the rescale must be one value`);
  return vals[0];
}

type Value =
  | { t: "param"; name: string; dtype: number; dims: number[]; values: number[]; float: boolean }
  | { t: "scale"; name: string; value: number }
  | {
      t: "act";
      /** completed layers */
      layers: FamilyLayer[];
      /** ready: a layer input; matmul: W applied, bias pending; linear: z; relu: max(z,0); scaled: relu * 2^-S */
      phase: "ready" | "matmul" | "linear" | "relu" | "scaled";
      W?: number[][];
      b?: number[];
      shift?: number;
    }
  | { t: "logits"; layers: FamilyLayer[] }
  | { t: "label"; layers: FamilyLayer[] };

function attrs(n: Node): Map<string, number> {
  return new Map(
    (n.attribute ?? []).map((a) => [
      a.name ?? "",
      a.type === onnx.AttributeProto.AttributeType.FLOAT ? (a.f ?? 0) : num(a.i),
    ]),
  );
}

function matrix(p: Extract<Value, { t: "param" }>, transpose: boolean, where: string): number[][] {
  if (p.dtype !== DT.INT8) throw new FamilyError(`${where}: the weights ${p.name} must be an int8 initializer`);
  if (p.dims.length !== 2) throw new FamilyError(`${where}: the weights ${p.name} must be 2-D, got [${p.dims}]`);
  const [r, c] = p.dims;
  const rows = Array.from({ length: r }, (_, i) => p.values.slice(i * c, (i + 1) * c));
  // W[out][in]: Gemm with transB=1 stores [out][in]; MatMul and Gemm transB=0 store [in][out].
  return transpose ? rows : Array.from({ length: c }, (_, j) => rows.map((row) => row[j]));
}

function bias(p: Extract<Value, { t: "param" }>, nOut: number, where: string): number[] {
  const dimsOk =
    (p.dims.length === 1 && p.dims[0] === nOut) || (p.dims.length === 2 && p.dims[0] === 1 && p.dims[1] === nOut);
  if (!dimsOk)
    throw new FamilyError(`${where}: the bias ${p.name} must have shape [${nOut}] or [1, ${nOut}], got [${p.dims}]`);
  return p.values;
}

/** Reads a family model from ONNX bytes. Throws FamilyError naming the offending node. */
export function parseFamilyOnnx(bytes: Uint8Array): {
  model: FamilyModel;
  input: string;
  logits: string;
  label: string;
} {
  let proto: onnxProto.onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new FamilyError(`not an ONNX model: ${(e as Error).message}`);
  }
  const g = proto.graph;
  if (!g) throw new FamilyError("the ONNX model has no graph");
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? "", t]));
  const graphInputs = (g.input ?? []).filter((i) => !inits.has(i.name ?? ""));
  if (graphInputs.length !== 1)
    throw new FamilyError(`the model must have one input tensor, it has ${graphInputs.length}`);
  const inp = graphInputs[0];
  const tt = inp.type?.tensorType;
  const dims = tt?.shape?.dim ?? [];
  if (tt?.elemType !== DT.INT8 || dims.length !== 2 || !(num(dims[1].dimValue) > 0))
    throw new FamilyError(`the input ${inp.name} must be int8 [N, nIn]`);
  const nIn = num(dims[1].dimValue);

  const vals = new Map<string, Value>();
  for (const [name, t] of inits) {
    if (t.dataType === DT.FLOAT && (t.dims ?? []).length === 0)
      vals.set(name, { t: "scale", name, value: floatScalar(t) });
    else if (t.dataType === DT.INT8 || t.dataType === DT.INT16 || t.dataType === DT.INT32)
      vals.set(name, {
        t: "param",
        name,
        dtype: t.dataType!,
        dims: (t.dims ?? []).map(num),
        values: ints(t),
        float: false,
      });
  }
  const xName = inp.name ?? "";
  let xCast = false;

  const get = (name: string, where: string): Value => {
    const v = vals.get(name);
    if (!v) throw new FamilyError(`${where}: input ${name} is not an initializer or a value of the family`);
    return v;
  };
  const act = (name: string, where: string, phases: string[]) => {
    const v = get(name, where);
    if (v.t !== "act" || !phases.includes(v.phase))
      throw new FamilyError(`${where}: ${name} is not ${phases.join("/")} activation of the family`);
    return v;
  };
  const param = (name: string, where: string) => {
    const v = get(name, where);
    if (v.t !== "param" || !v.float)
      throw new FamilyError(`${where}: ${name} must be an integer initializer cast to float`);
    return v;
  };
  /** Layers completed by an activation used as a new layer input. */
  const inputLayers = (a: Extract<Value, { t: "act" }>): FamilyLayer[] =>
    a.phase === "relu" ? [...a.layers, { W: a.W!, b: a.b!, shift: 0 }] : a.layers;

  for (const n of g.node ?? []) {
    const where = `node ${n.name || n.opType} (${n.opType})`;
    const ins = n.input ?? [];
    const outs = n.output ?? [];
    if (outs.length !== 1) throw new FamilyError(`${where}: expected one output`);
    const a = attrs(n);
    let out: Value;
    switch (n.opType) {
      case "Cast": {
        const to = a.get("to");
        if (ins[0] === xName) {
          if (to !== DT.FLOAT) throw new FamilyError(`${where}: the input must be cast to float`);
          xCast = true;
          out = { t: "act", layers: [], phase: "ready" };
          break;
        }
        const src = get(ins[0], where);
        if (src.t === "param" && to === DT.FLOAT) out = { ...src, float: true };
        else if (src.t === "act" && src.phase === "linear" && to === DT.INT32)
          out = { t: "logits", layers: [...src.layers, { W: src.W!, b: src.b! }] };
        else throw new FamilyError(`${where}: a Cast of ${ins[0]} to type ${to} is outside the family`);
        break;
      }
      case "Gemm": {
        if ((a.get("transA") ?? 0) !== 0 || (a.get("alpha") ?? 1) !== 1 || (a.get("beta") ?? 1) !== 1)
          throw new FamilyError(`${where}: only transA = 0, alpha = beta = 1`);
        if (ins.length !== 3) throw new FamilyError(`${where}: the Gemm needs a bias`);
        const x = act(ins[0], where, ["ready", "relu"]);
        const W = matrix(param(ins[1], where), (a.get("transB") ?? 0) === 1, where);
        out = { t: "act", layers: inputLayers(x), phase: "linear", W, b: bias(param(ins[2], where), W.length, where) };
        break;
      }
      case "MatMul": {
        const x = act(ins[0], where, ["ready", "relu"]);
        out = { t: "act", layers: inputLayers(x), phase: "matmul", W: matrix(param(ins[1], where), false, where) };
        break;
      }
      case "Add": {
        const [p, q] = ins.map((i) => get(i, where));
        const x = p.t === "act" ? p : q;
        const b = p.t === "act" ? q : p;
        if (x.t !== "act" || x.phase !== "matmul" || b.t !== "param" || !b.float)
          throw new FamilyError(`${where}: only MatMul output + bias initializer`);
        out = { ...x, phase: "linear", b: bias(b, x.W!.length, where) };
        break;
      }
      case "Relu":
        out = { ...act(ins[0], where, ["linear"]), phase: "relu" };
        break;
      case "Mul": {
        const [p, q] = ins.map((i) => get(i, where));
        const x = p.t === "act" ? p : q;
        const s = p.t === "act" ? q : p;
        if (x.t !== "act" || x.phase !== "relu" || s.t !== "scale")
          throw new FamilyError(`${where}: only a ReLU output times a float32 scalar`);
        const shift = -Math.log2(s.value);
        if (!Number.isInteger(shift) || shift < 1)
          throw new FamilyError(`${where}: the rescale ${s.value} is not 2^-S, S >= 1`);
        out = { ...x, phase: "scaled", shift };
        break;
      }
      case "Floor": {
        const x = act(ins[0], where, ["scaled"]);
        out = { t: "act", layers: [...x.layers, { W: x.W!, b: x.b!, shift: x.shift! }], phase: "ready" };
        break;
      }
      case "ArgMax": {
        const x = act(ins[0], where, ["linear"]);
        const axis = a.get("axis") ?? 0;
        if ((axis !== 1 && axis !== -1) || (a.get("keepdims") ?? 1) !== 0 || (a.get("select_last_index") ?? 0) !== 0)
          throw new FamilyError(`${where}: only axis 1, keepdims 0, select_last_index 0 (ties -> lowest index)`);
        out = { t: "label", layers: [...x.layers, { W: x.W!, b: x.b! }] };
        break;
      }
      default:
        throw new FamilyError(`${where}: operator ${n.opType} is outside the quantized-MLP family`);
    }
    if (vals.has(outs[0])) throw new FamilyError(`${where}: ${outs[0]} is defined twice`);
    vals.set(outs[0], out);
  }
  if (!xCast) throw new FamilyError("the input is never cast to float");
  const outputs = (g.output ?? []).map((o) => ({ name: o.name ?? "", v: vals.get(o.name ?? "") }));
  const logits = outputs.filter((o) => o.v?.t === "logits");
  const label = outputs.filter((o) => o.v?.t === "label");
  if (outputs.length !== 2 || logits.length !== 1 || label.length !== 1)
    throw new FamilyError("the graph outputs must be the int32 logits and the ArgMax label");
  const layers = (logits[0].v as { layers: FamilyLayer[] }).layers;
  if (JSON.stringify(layers) !== JSON.stringify((label[0].v as { layers: FamilyLayer[] }).layers))
    throw new FamilyError("the label is not the ArgMax of the logits output");
  const model: FamilyModel = { nIn, layers };
  boundsOf(model);
  return { model, input: xName, logits: logits[0].name, label: label[0].name };
}

// ---- builder ------------------------------------------------------------------------------------------------------

/** ONNX building blocks (also used by zk/scripts/build-onnx.ts for the reference model). */
export function tensor(name: string, dataType: number, dims: number[], raw: Buffer) {
  return onnx.TensorProto.create({ name, dataType, dims, rawData: raw });
}
export const int8Raw = (v: number[]) => Buffer.from(Int8Array.from(v).buffer);
export function int32Raw(v: number[]): Buffer {
  const b = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => b.writeInt32LE(x, i * 4));
  return b;
}
export function valueInfo(name: string, elemType: number, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });
}
export function node(opType: string, inputs: string[], output: string, ints: Record<string, number> = {}) {
  return onnx.NodeProto.create({
    opType,
    name: output,
    input: inputs,
    output: [output],
    attribute: Object.entries(ints).map(([name, i]) =>
      onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i }),
    ),
  });
}

export interface BuildOptions {
  /** "gemm": Gemm(transB = 1) per layer; "matmul": MatMul + Add (weights stored [in][out]). */
  form: "gemm" | "matmul";
  name: string;
  docString?: string;
  metadata?: Record<string, string>;
}

/** ONNX bytes of a family model (input "x", outputs "logits" int32 [N, nOut] and "label" int64 [N]). */
export function buildFamilyOnnx(m: FamilyModel, o: BuildOptions): Uint8Array {
  boundsOf(m);
  const initializer: ReturnType<typeof tensor>[] = [];
  const nodes: ReturnType<typeof node>[] = [node("Cast", ["x"], "x_f", { to: DT.FLOAT })];
  let a = "x_f";
  m.layers.forEach((l, i) => {
    const k = i + 1;
    const nOut = l.W.length;
    const nIn = l.W[0].length;
    if (o.form === "gemm") initializer.push(tensor(`W${k}`, DT.INT8, [nOut, nIn], int8Raw(l.W.flat())));
    else
      initializer.push(
        tensor(
          `W${k}`,
          DT.INT8,
          [nIn, nOut],
          int8Raw(Array.from({ length: nIn }, (_, r) => l.W.map((row) => row[r])).flat()),
        ),
      );
    initializer.push(tensor(`b${k}`, DT.INT32, [nOut], int32Raw(l.b)));
    nodes.push(
      node("Cast", [`W${k}`], `W${k}_f`, { to: DT.FLOAT }),
      node("Cast", [`b${k}`], `b${k}_f`, { to: DT.FLOAT }),
    );
    const z = i === m.layers.length - 1 ? "logits_f" : `z${k}`;
    if (o.form === "gemm") nodes.push(node("Gemm", [a, `W${k}_f`, `b${k}_f`], z, { transB: 1 }));
    else nodes.push(node("MatMul", [a, `W${k}_f`], `m${k}`), node("Add", [`m${k}`, `b${k}_f`], z));
    if (l.shift === undefined) return;
    nodes.push(node("Relu", [z], `r${k}`));
    if (l.shift === 0) {
      a = `r${k}`;
      return;
    }
    const b = Buffer.alloc(4);
    b.writeFloatLE(2 ** -l.shift, 0);
    initializer.push(tensor(`inv_scale${k}`, DT.FLOAT, [], b));
    nodes.push(node("Mul", [`r${k}`, `inv_scale${k}`], `s${k}`), node("Floor", [`s${k}`], `h${k}`));
    a = `h${k}`;
  });
  return encodeFamilyGraph({
    name: o.name,
    nIn: m.nIn,
    nOut: m.layers[m.layers.length - 1].W.length,
    nodes,
    initializer,
    docString: o.docString,
    metadata: o.metadata,
  });
}

/**
 * The model bytes of a family graph whose `nodes` end with the float logits `logits_f`: appends the int32 `logits`
 * Cast and the `label` ArgMax (ties -> lowest index), input "x" int8 [N, nIn], IR 8, opset 17.
 */
export function encodeFamilyGraph(g: {
  name: string;
  nIn: number;
  nOut: number;
  nodes: ReturnType<typeof node>[];
  initializer: ReturnType<typeof tensor>[];
  docString?: string;
  metadata?: Record<string, string>;
}): Uint8Array {
  const graph = onnx.GraphProto.create({
    name: g.name,
    node: [
      ...g.nodes,
      node("Cast", ["logits_f"], "logits", { to: DT.INT32 }),
      node("ArgMax", ["logits_f"], "label", { axis: 1, keepdims: 0, select_last_index: 0 }),
    ],
    initializer: g.initializer,
    input: [valueInfo("x", DT.INT8, ["N", g.nIn])],
    output: [valueInfo("logits", DT.INT32, ["N", g.nOut]), valueInfo("label", DT.INT64, ["N"])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "veritas-zk",
    producerVersion: "1",
    modelVersion: 1,
    docString: g.docString ?? "",
    graph,
    metadataProps: Object.entries(g.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}
