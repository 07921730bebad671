/**
 * Generates zk/model/vectors.json: 100 deterministic test inputs for the ONNX / reference / circuit
 * agreement test, with the reference outputs.
 *
 *   - 4 extremes (all 0, all 127, all -128, alternating 127/-128)
 *   - 4 ties at the maximum for each pair of logits (0,1), (0,2), (1,2): 12 inputs, found by a
 *     deterministic coordinate search (the argmax tie rule — lowest index — is then exercised)
 *   - up to 2 inputs whose logits are all negative (found the same way), if the model admits any
 *   - the rest uniformly random int8 (SHA-256 counter-mode stream, seed below)
 *
 * Usage: npx tsx zk/scripts/gen-vectors.ts
 */
import { writeFileSync } from "node:fs";
import { INT8_MAX, INT8_MIN, N_IN, ZK_PATHS } from "../lib/constants.js";
import { readOnnxWeights } from "../lib/onnx.js";
import { sha256Stream } from "../lib/prng.js";
import { forward } from "../lib/reference.js";

const SEED = "veritas/zk/mlp-8x8x3/vectors/v1";
const TOTAL = 100;
const TIES_PER_PAIR = 4;

const w = readOnnxWeights();
const next = sha256Stream(SEED);
const randomInput = () => Array.from({ length: N_IN }, () => next() - 128);

/** Coordinate descent on an integer score; returns an input with score 0 or undefined. */
function search(score: (l: number[]) => number, maxRestarts: number): number[] | undefined {
  for (let r = 0; r < maxRestarts; r++) {
    const x = randomInput();
    let cur = score(forward(w, x).logits);
    for (let sweep = 0; sweep < 6 && cur > 0; sweep++) {
      for (let k = 0; k < N_IN && cur > 0; k++) {
        let bestV = x[k];
        for (let v = INT8_MIN; v <= INT8_MAX; v++) {
          x[k] = v;
          const s = score(forward(w, x).logits);
          if (s < cur) [cur, bestV] = [s, v];
        }
        x[k] = bestV;
      }
    }
    if (cur === 0) return x;
  }
  return undefined;
}

type Vector = { kind: string; x: number[]; logits: number[]; label: number };
const vectors: Vector[] = [];
const add = (kind: string, x: number[]) => {
  const r = forward(w, x);
  vectors.push({ kind, x: [...x], logits: r.logits, label: r.label });
};

add("extreme", Array(N_IN).fill(0));
add("extreme", Array(N_IN).fill(INT8_MAX));
add("extreme", Array(N_IN).fill(INT8_MIN));
add(
  "extreme",
  Array.from({ length: N_IN }, (_, i) => (i % 2 ? INT8_MIN : INT8_MAX)),
);

for (const [a, b] of [
  [0, 1],
  [0, 2],
  [1, 2],
]) {
  const c = 3 - a - b;
  // 0 iff logits[a] == logits[b] >= logits[c]
  const score = (l: number[]) => Math.abs(l[a] - l[b]) + Math.max(0, l[c] - Math.min(l[a], l[b]));
  for (let n = 0; n < TIES_PER_PAIR; n++) {
    const x = search(score, 200);
    if (!x) throw new Error(`no tie found for logits ${a},${b}`);
    add(`tie${a}${b}`, x);
  }
}

// 0 iff every logit < 0
const negScore = (l: number[]) => Math.max(0, Math.max(...l) + 1);
for (let n = 0; n < 2; n++) {
  const x = search(negScore, 50);
  if (x) add("all-negative", x);
}

while (vectors.length < TOTAL) add("random", randomInput());

const text =
  "{\n" +
  `  "seed": ${JSON.stringify(SEED)},\n` +
  '  "note": "inputs x (int8) with the reference logits and label; kinds: extreme, tieAB (logits A and B tie at the max), all-negative, random",\n' +
  '  "vectors": [\n' +
  vectors.map((v) => `    ${JSON.stringify(v)}`).join(",\n") +
  "\n  ]\n}\n";
writeFileSync(ZK_PATHS.vectors, text);
const kinds = vectors.reduce<Record<string, number>>((m, v) => ((m[v.kind] = (m[v.kind] ?? 0) + 1), m), {});
console.log(`wrote ${ZK_PATHS.vectors}:`, kinds);
