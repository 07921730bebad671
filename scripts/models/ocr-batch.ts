/**
 * `npm run ocr:batch`: does the batch size change PaddleOCR's recognition bytes? (docs/models/paddle-ocr.md,
 * "Determinism"). For every committed test image, the whole image resized to the recognizer's height is one line
 * tensor [1, 3, 48, W]; it is run alone (batch 1), as item 0 of a batch of 4 copies (batch 4, same width), and as
 * item 0 of a batch of 2 whose other line is wider (so this one is zero-padded on the right, as batched PaddleOCR
 * does). It prints how many of the images give bit-identical logits and the same argmax text in each case. The
 * pipeline runs recognition with batch 1 per line, so only the first comparison describes what nodes do; the
 * others show what a node that batched lines would break.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { materializeBundle } from "../../src/models/materialize.js";
import { createSession } from "../../src/models/runtime.js";

const DIR = "test/fixtures/ocr";
const H = 48;
const b = materializeBundle("paddleocr-v4");
const rec = await createSession(b.files.rec, b.manifest.runtime, b.source);

async function lineTensor(file: string): Promise<{ data: Float32Array; w: number }> {
  const img = sharp(readFileSync(path.join(DIR, file)))
    .flatten({ background: "#ffffff" })
    .removeAlpha();
  const meta = await img.metadata();
  const w = Math.min(Math.max(Math.ceil((H * meta.width!) / meta.height!), 16), 1600);
  const { data } = await img.resize(w, H, { fit: "fill" }).raw().toBuffer({ resolveWithObject: true });
  const x = new Float32Array(3 * H * w);
  for (let i = 0; i < H * w; i++)
    for (let c = 0; c < 3; c++) x[c * H * w + i] = (data[i * 3 + (2 - c)] / 255 - 0.5) / 0.5; // BGR
  return { data: x, w };
}

/** Stacks `items` (each [3, H, w_i]) into [n, 3, H, W], zero-padding each on the right to W. */
function stack(items: { data: Float32Array; w: number }[], W: number): Float32Array {
  const out = new Float32Array(items.length * 3 * H * W);
  items.forEach((it, n) => {
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < H; y++)
        out.set(it.data.subarray((c * H + y) * it.w, (c * H + y + 1) * it.w), ((n * 3 + c) * H + y) * W);
  });
  return out;
}

async function run(x: Float32Array, n: number, W: number): Promise<{ data: Float32Array; T: number; C: number }> {
  const out = await rec.run({ [rec.inputNames[0]]: new ort.Tensor("float32", x, [n, 3, H, W]) });
  const t = out[rec.outputNames[0]];
  const [, T, C] = t.dims as number[];
  return { data: t.data as Float32Array, T, C };
}

const argmaxes = (r: { data: Float32Array; T: number; C: number }, item: number, T: number) =>
  Array.from({ length: T }, (_, t) => {
    let best = 0;
    for (let c = 1; c < r.C; c++)
      if (r.data[(item * r.T + t) * r.C + c] > r.data[(item * r.T + t) * r.C + best]) best = c;
    return best;
  })
    .filter((c, i, a) => c !== 0 && c !== a[i - 1])
    .join(",");

const files = readdirSync(DIR)
  .filter((f) => /\.(png|jpe?g)$/.test(f))
  .sort();
let sameBatch4 = 0,
  sameTextBatch4 = 0,
  samePadded = 0,
  sameTextPadded = 0;
for (const f of files) {
  const line = await lineTensor(f);
  const one = await run(line.data, 1, line.w);
  const four = await run(stack([line, line, line, line], line.w), 4, line.w);
  const T1 = one.T;
  if (Buffer.from(four.data.buffer, 0, one.data.byteLength).equals(Buffer.from(one.data.buffer))) sameBatch4++;
  if (argmaxes(four, 0, T1) === argmaxes(one, 0, T1)) sameTextBatch4++;
  const wide = { data: new Float32Array(3 * H * (line.w + 64)), w: line.w + 64 };
  const padded = await run(stack([line, wide], wide.w), 2, wide.w);
  // The padded run has more time steps; compare the first T1 steps' logits and the decoded text over all steps.
  let identical = true;
  for (let t = 0; t < T1 && identical; t++)
    for (let c = 0; c < one.C; c++)
      if (padded.data[t * padded.C + c] !== one.data[t * one.C + c]) {
        identical = false;
        break;
      }
  if (identical) samePadded++;
  if (argmaxes(padded, 0, padded.T) === argmaxes(one, 0, T1)) sameTextPadded++;
}
console.log(
  `${files.length} images (whole image as one line, onnxruntime-node ${b.manifest.runtime.version}, 1 thread):\n` +
    `  batch 4 of the same line vs batch 1: logits bit-identical ${sameBatch4}/${files.length}, ` +
    `same text ${sameTextBatch4}/${files.length}\n` +
    `  batch 2, zero-padded 64 px wider vs batch 1: logits bit-identical ${samePadded}/${files.length}, ` +
    `same text ${sameTextPadded}/${files.length}`,
);
await rec.release();
