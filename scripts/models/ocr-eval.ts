/**
 * OCR accuracy and determinism on the committed test images (`npm run ocr:eval [-- --repeat N]`).
 *
 * Runs the paddleocr-v4 bundle on every image of test/fixtures/ocr/, compares the recognised lines with
 * ground-truth.json (exact line match, and character accuracy by edit distance), and prints a SHA-256 over all
 * output bytes. Determinism: the same digest must come out of every process, after a session restart (`--repeat`
 * loads the pipeline again and re-runs every image), and whatever order the images are run in (`--shuffle`).
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { materializeBundle } from "../../src/models/materialize.js";
import { pipelineFor } from "../../src/models/pipelines/index.js";
import type { OcrOutput } from "../../src/models/pipelines/paddle-ocr.js";

const DIR = "test/fixtures/ocr";
const args = process.argv.slice(2);
const repeat = Number(args[args.indexOf("--repeat") + 1] || 1) || 1;
const shuffle = args.includes("--shuffle");

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length];
}

const truth = JSON.parse(readFileSync(path.join(DIR, "ground-truth.json"), "utf8")) as Record<
  string,
  { lines: string[] }
>;
let files = readdirSync(DIR)
  .filter((f) => /\.(png|jpg)$/.test(f))
  .sort();
if (shuffle)
  files = files
    .map((f, i) => [f, (i * 7919) % files.length] as const)
    .sort((a, b) => a[1] - b[1])
    .map((x) => x[0]);
const bundle = materializeBundle("paddleocr-v4");
const pipeline = await pipelineFor(bundle.manifest);
const digests: string[] = [];
for (let r = 0; r < repeat; r++) {
  const t0 = performance.now();
  const runner = await pipeline.load(bundle);
  const loadMs = performance.now() - t0;
  const outputs = new Map<string, Uint8Array>();
  let exact = 0;
  let lines = 0;
  let chars = 0;
  let errors = 0;
  const times: number[] = [];
  for (const f of files) {
    const t = performance.now();
    const out = await runner.run(readFileSync(path.join(DIR, f)));
    times.push(performance.now() - t);
    outputs.set(f, out);
    const got = (pipeline.decodeOutput(out, bundle.manifest) as OcrOutput).lines.map((l) => l.text);
    const want = truth[f].lines;
    lines += want.length;
    for (let i = 0; i < want.length; i++) if (got[i] === want[i]) exact++;
    const w = want.join("\n");
    chars += w.length;
    errors += editDistance(got.join("\n"), w);
  }
  await runner.release();
  const h = createHash("sha256");
  for (const f of [...outputs.keys()].sort()) h.update(f).update(outputs.get(f)!);
  const digest = h.digest("hex");
  digests.push(digest);
  times.sort((a, b) => a - b);
  console.log(
    `run ${r + 1}: ${files.length} images, load ${loadMs.toFixed(0)} ms, inference median ${times[times.length >> 1].toFixed(0)} ms ` +
      `(max ${times[times.length - 1].toFixed(0)} ms); lines exact ${exact}/${lines}; character accuracy ` +
      `${(100 * (1 - errors / chars)).toFixed(2)} %; outputs sha256 ${digest}`,
  );
}
const same = digests.every((d) => d === digests[0]);
console.log(same ? `deterministic across ${repeat} session(s): yes` : "NOT deterministic across sessions");
if (!same) process.exitCode = 1;
