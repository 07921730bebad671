/**
 * Generates zk/model/weights.json deterministically from a fixed seed.
 *
 * PRNG: SHA-256 in counter mode, block_i = sha256(utf8(SEED) || uint32be(i)), bytes consumed in order.
 *   weights (W1 row-major, then W2 row-major): one byte each, value = byte - 128      -> int8 [-128, 127]
 *   b1: two bytes each (big-endian uint16 u), value = (u - 32768) >> 3                 -> [-4096, 4095]
 *   b2: two bytes each (big-endian uint16 u), value = (u - 32768) >> 4                 -> [-2048, 2047]
 * Drawing order: W1, b1, W2, b2.
 *
 * Usage: npx tsx zk/scripts/gen-weights.ts
 */
import { writeFileSync } from "node:fs";
import { N_HIDDEN, N_IN, N_OUT, SHIFT, ZK_PATHS } from "../lib/constants.js";
import { sha256Stream } from "../lib/prng.js";
import { validateWeights, type WeightsFile } from "../lib/reference.js";

const SEED = "veritas/zk/mlp-8x8x3/v1";

const next = sha256Stream(SEED);
const int8 = () => next() - 128;
const int16 = () => ((next() << 8) | next()) - 32768;

const W1 = Array.from({ length: N_HIDDEN }, () => Array.from({ length: N_IN }, int8));
const b1 = Array.from({ length: N_HIDDEN }, () => int16() >> 3);
const W2 = Array.from({ length: N_OUT }, () => Array.from({ length: N_HIDDEN }, int8));
const b2 = Array.from({ length: N_OUT }, () => int16() >> 4);

const out: WeightsFile = {
  name: "veritas-mlp-8x8x3",
  seed: SEED,
  shift: SHIFT,
  shape: { in: N_IN, hidden: N_HIDDEN, out: N_OUT },
  W1,
  b1,
  W2,
  b2,
};
validateWeights(out);

// One matrix row per line keeps the file diffable.
const rows = (m: number[][]) => m.map((r) => `    ${JSON.stringify(r)}`).join(",\n");
const text = `{
  "name": ${JSON.stringify(out.name)},
  "seed": ${JSON.stringify(out.seed)},
  "shift": ${out.shift},
  "shape": ${JSON.stringify(out.shape)},
  "W1": [
${rows(W1)}
  ],
  "b1": ${JSON.stringify(b1)},
  "W2": [
${rows(W2)}
  ],
  "b2": ${JSON.stringify(b2)}
}
`;
JSON.parse(text); // sanity
writeFileSync(ZK_PATHS.weightsJson, text);
console.log(`wrote ${ZK_PATHS.weightsJson}`);
