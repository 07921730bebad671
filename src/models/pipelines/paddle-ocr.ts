/**
 * The `paddle-ocr` pipeline: PaddleOCR v4 text detection (DB) and recognition (CTC), real pretrained ONNX files.
 *
 * Input bytes: a PNG or JPEG image. Output bytes: canonical JSON (RFC 8785)
 * `{"lines":[{"box":[[x,y],[x,y],[x,y],[x,y]],"confidence":0..10000,"text":"…"}]}`, lines top to bottom then left
 * to right, box corners clockwise from the top-left in pixels of the input image, confidence the mean CTC
 * probability of the line's characters in units of 1/10000.
 *
 * Libraries: `sharp` decodes the image (libvips, bundled with the pinned sharp version); every geometric step
 * (resizing, contours, minimum-area rectangles, perspective crops) runs in OpenCV compiled to WebAssembly
 * (`@techstark/opencv-js`), which gives the same bits on every CPU; polygon offsetting (DB "unclip") is js-clipper.
 * The manifest binds the versions of both libraries (`options.libraries`) next to the onnxruntime version and thread
 * settings; a node with other versions refuses the bundle (`UNSUPPORTED_RUNTIME`) rather than risk other bytes.
 *
 * Pre- and post-processing follow PaddleOCR's reference inference settings (det: longest side ≤ 960, multiple of 32,
 * ImageNet mean/std on BGR, threshold 0.3, box threshold 0.6, unclip ratio 1.5; rec: height 48, (x/255−0.5)/0.5 on
 * BGR, greedy CTC with the dictionary plus a space, lines below confidence 0.5 dropped). Each line is recognised on
 * its own (batch of one) at a width that depends only on that line, so the output never depends on what else is in
 * the image or the node's queue.
 */
import { createRequire } from "node:module";
import { canonicalJsonBytes, parseCanonicalJson } from "../canonical.js";
import { ModelError, type LoadedBundle, type Manifest, type Pipeline, type PipelineRunner } from "../types.js";

/** Pipeline options (`manifest.options`): part of the digest, so what every node agrees on. */
export type OcrOptions = {
  det: { limitSideLen: number; thresh: number; boxThresh: number; unclipRatio: number; maxCandidates: number };
  rec: { height: number; minWidth: number; maxWidth: number; dropScore: number };
  /** Largest decoded image, pixels. */
  maxPixels: number;
  /** Exact versions of the libraries whose arithmetic reaches the output. */
  libraries: { sharp: string; "@techstark/opencv-js": string; "js-clipper": string };
};

/** One recognised line of the output. */
export type OcrLine = { box: [number, number][]; confidence: number; text: string };
/** The decoded output. */
export type OcrOutput = { lines: OcrLine[] };

const PNG = [0x89, 0x50, 0x4e, 0x47];
const JPEG = [0xff, 0xd8, 0xff];
const DEFAULT_MAX_INPUT = 8 << 20;

function isImage(b: Uint8Array): boolean {
  const starts = (sig: number[]) => sig.every((v, i) => b[i] === v);
  return b.length > 8 && (starts(PNG) || starts(JPEG));
}

function options(m: Manifest): OcrOptions {
  return m.options as unknown as OcrOptions;
}

function validate(m: Manifest): void {
  const bad = (msg: string): never => {
    throw new ModelError("BAD_BUNDLE", `paddle-ocr pipeline: ${msg}`);
  };
  for (const role of ["det", "rec", "keys"]) if (!m.files[role]) bad(`file role "${role}" missing`);
  if (m.input.kind !== "image") bad(`input.kind must be "image"`);
  if (m.output.kind !== "json") bad(`output.kind must be "json"`);
  const o = m.options as Partial<OcrOptions> | undefined;
  if (!o || !o.det || !o.rec || !o.libraries) bad("options.det, options.rec and options.libraries are required");
  const num = (v: unknown, name: string, min: number, max: number) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max)
      bad(`options.${name} out of [${min}, ${max}]`);
  };
  num(o!.det!.limitSideLen, "det.limitSideLen", 32, 4096);
  num(o!.det!.thresh, "det.thresh", 0, 1);
  num(o!.det!.boxThresh, "det.boxThresh", 0, 1);
  num(o!.det!.unclipRatio, "det.unclipRatio", 0, 10);
  num(o!.det!.maxCandidates, "det.maxCandidates", 1, 10000);
  num(o!.rec!.height, "rec.height", 8, 256);
  num(o!.rec!.minWidth, "rec.minWidth", 8, 8192);
  num(o!.rec!.maxWidth, "rec.maxWidth", o!.rec!.minWidth as number, 8192);
  num(o!.rec!.dropScore, "rec.dropScore", 0, 1);
  num(o!.maxPixels, "maxPixels", 1, 1 << 28);
}

/** The installed version of a package (read from its package.json next to its entry point). */
function installedVersion(pkg: string): string {
  const require = createRequire(import.meta.url);
  let dir = require.resolve(pkg);
  const { readFileSync, existsSync } = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  for (;;) {
    const pj = path.join(dir, "package.json");
    if (existsSync(pj)) {
      const j = JSON.parse(readFileSync(pj, "utf8")) as { name?: string; version: string };
      if (j.name === pkg) return j.version;
    }
    const up = path.dirname(dir);
    if (up === dir) return "unknown";
    dir = up;
  }
}

// OpenCV (WebAssembly) is loaded once per process: about a second.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Cv = any;
let cvReady: Promise<{ cv: Cv }> | undefined;
/** Resolves to `{ cv }`: the module is a thenable that resolves to itself, so it is never awaited or returned bare. */
function loadCv(): Promise<{ cv: Cv }> {
  cvReady ??= (async () => {
    const mod = (await import("@techstark/opencv-js")).default as Cv;
    if (!mod.Mat)
      await new Promise<void>((resolve) => {
        mod.onRuntimeInitialized = () => resolve();
      });
    return { cv: mod };
  })();
  return cvReady;
}

type Rgb = { data: Uint8Array; width: number; height: number };

async function decode(bytes: Uint8Array, o: OcrOptions, maxBytes: number): Promise<Rgb> {
  if (bytes.length > maxBytes)
    throw new ModelError("BAD_INPUT", `image is ${bytes.length} bytes, more than ${maxBytes}`);
  if (!isImage(bytes)) throw new ModelError("BAD_INPUT", "input is not a PNG or JPEG image");
  const sharp = (await import("sharp")).default;
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: o.maxPixels, failOn: "error" })
      .rotate()
      .flatten({ background: "#ffffff" })
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${info.channels} channels after conversion`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (e) {
    throw new ModelError("BAD_INPUT", `image does not decode: ${(e as Error).message}`);
  }
}

/** CHW float32 planes in BGR order, `(x/255 − mean) / std` (PaddleOCR's layout). */
function toBgrTensor(rgba: Uint8Array, w: number, h: number, mean: number[], std: number[], padW = w): Float32Array {
  const out = new Float32Array(3 * h * padW);
  const plane = h * padW;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 3;
      const q = y * padW + x;
      // BGR order: channel 0 is blue.
      out[q] = (rgba[p + 2] / 255 - mean[0]) / std[0];
      out[plane + q] = (rgba[p + 1] / 255 - mean[1]) / std[1];
      out[2 * plane + q] = (rgba[p] / 255 - mean[2]) / std[2];
    }
  return out;
}

type Pt = [number, number];

/** The four corners of a contour's minimum-area rectangle, ordered like PaddleOCR's get_mini_boxes, and its short side. */
function miniBox(cv: Cv, contour: Cv): { box: Pt[]; side: number } {
  const rect = cv.minAreaRect(contour);
  const pts: Pt[] = (cv.RotatedRect.points(rect) as { x: number; y: number }[])
    .map((p) => [p.x, p.y] as Pt)
    .sort((a, b) => a[0] - b[0]);
  const [i1, i4] = pts[1][1] > pts[0][1] ? [0, 1] : [1, 0];
  const [i2, i3] = pts[3][1] > pts[2][1] ? [2, 3] : [3, 2];
  return { box: [pts[i1], pts[i2], pts[i3], pts[i4]], side: Math.min(rect.size.width, rect.size.height) };
}

/** Mean probability inside the box (PaddleOCR's "fast" box score). */
function boxScore(cv: Cv, prob: Cv, box: Pt[]): number {
  const w = prob.cols;
  const h = prob.rows;
  const xs = box.map((p) => p[0]);
  const ys = box.map((p) => p[1]);
  const xmin = Math.min(Math.max(Math.floor(Math.min(...xs)), 0), w - 1);
  const xmax = Math.min(Math.max(Math.ceil(Math.max(...xs)), 0), w - 1);
  const ymin = Math.min(Math.max(Math.floor(Math.min(...ys)), 0), h - 1);
  const ymax = Math.min(Math.max(Math.ceil(Math.max(...ys)), 0), h - 1);
  const mask = cv.Mat.zeros(ymax - ymin + 1, xmax - xmin + 1, cv.CV_8UC1);
  const poly = cv.matFromArray(
    4,
    1,
    cv.CV_32SC2,
    box.flatMap((p) => [Math.trunc(p[0] - xmin), Math.trunc(p[1] - ymin)]),
  );
  const polys = new cv.MatVector();
  polys.push_back(poly);
  cv.fillPoly(mask, polys, new cv.Scalar(1));
  const roi = prob.roi(new cv.Rect(xmin, ymin, xmax - xmin + 1, ymax - ymin + 1));
  const score = cv.mean(roi, mask)[0] as number;
  roi.delete();
  polys.delete();
  poly.delete();
  mask.delete();
  return score;
}

/** DB "unclip": the box grown by area × ratio / perimeter (js-clipper, round joins). */
async function unclip(box: Pt[], ratio: number): Promise<number[]> {
  const clipper = (await import("js-clipper")).default;
  let area = 0;
  let length = 0;
  for (let i = 0; i < 4; i++) {
    const a = box[i];
    const b = box[(i + 1) % 4];
    area += a[0] * b[1] - b[0] * a[1];
    length += Math.hypot(b[0] - a[0], b[1] - a[1]);
  }
  const distance = (Math.abs(area / 2) * ratio) / length;
  const off = new clipper.ClipperOffset();
  off.AddPath(
    box.map((p) => ({ X: p[0], Y: p[1] })),
    clipper.JoinType.jtRound,
    clipper.EndType.etClosedPolygon,
  );
  const out: { X: number; Y: number }[][] = [];
  off.Execute(out, distance);
  return out.length ? out[0].flatMap((p) => [p.X, p.Y]) : [];
}

function orderClockwise(pts: Pt[]): Pt[] {
  const s = pts.map((p) => p[0] + p[1]);
  const tl = pts[s.indexOf(Math.min(...s))];
  const br = pts[s.indexOf(Math.max(...s))];
  const rest = pts.filter((p) => p !== tl && p !== br);
  const d = rest.map((p) => p[1] - p[0]);
  const tr = rest[d.indexOf(Math.min(...d))];
  const bl = rest[d.indexOf(Math.max(...d))] ?? rest[0];
  return [tl, tr ?? rest[1], br, bl];
}

/** Sorts boxes top to bottom, then left to right within 10 px of height (PaddleOCR's sorted_boxes). */
function sortBoxes(boxes: Pt[][]): Pt[][] {
  const b = [...boxes].sort((p, q) => p[0][1] - q[0][1] || p[0][0] - q[0][0]);
  for (let i = 0; i < b.length - 1; i++)
    for (let j = i; j >= 0; j--) {
      if (Math.abs(b[j + 1][0][1] - b[j][0][1]) < 10 && b[j + 1][0][0] < b[j][0][0])
        [b[j], b[j + 1]] = [b[j + 1], b[j]];
      else break;
    }
  return b;
}

type Session = import("onnxruntime-node").InferenceSession;

class OcrRunner implements PipelineRunner {
  constructor(
    private readonly manifest: Manifest,
    private readonly det: Session,
    private readonly rec: Session,
    private readonly keys: string[],
    private readonly cv: Cv,
    private readonly ort: typeof import("onnxruntime-node"),
  ) {}

  async run(input: Uint8Array): Promise<Uint8Array> {
    const o = options(this.manifest);
    const img = await decode(input, o, this.manifest.input.maxBytes ?? DEFAULT_MAX_INPUT);
    const boxes = await this.detect(img, o);
    const lines: OcrLine[] = [];
    for (const box of boxes) {
      const { text, confidence } = await this.recognize(img, box, o);
      if (confidence < o.rec.dropScore || text.length === 0) continue;
      lines.push({ box, confidence: Math.round(confidence * 10000), text });
    }
    return canonicalJsonBytes({ lines });
  }

  private async detect(img: Rgb, o: OcrOptions): Promise<Pt[][]> {
    const cv = this.cv;
    const ratio =
      Math.max(img.width, img.height) > o.det.limitSideLen ? o.det.limitSideLen / Math.max(img.width, img.height) : 1;
    const rw = Math.max(Math.round((img.width * ratio) / 32) * 32, 32);
    const rh = Math.max(Math.round((img.height * ratio) / 32) * 32, 32);
    const src = cv.matFromArray(img.height, img.width, cv.CV_8UC3, img.data);
    const resized = new cv.Mat();
    cv.resize(src, resized, new cv.Size(rw, rh), 0, 0, cv.INTER_LINEAR);
    src.delete();
    const x = toBgrTensor(resized.data as Uint8Array, rw, rh, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    resized.delete();
    const out = await this.det.run({ [this.det.inputNames[0]]: new this.ort.Tensor("float32", x, [1, 3, rh, rw]) });
    const probData = out[this.det.outputNames[0]].data as Float32Array;
    const prob = cv.matFromArray(rh, rw, cv.CV_32FC1, probData);
    const bitmap = new cv.Mat(rh, rw, cv.CV_8UC1);
    const bits = bitmap.data as Uint8Array;
    for (let i = 0; i < probData.length; i++) bits[i] = probData[i] > o.det.thresh ? 255 : 0;
    const contours = new cv.MatVector();
    const hierarchy = new cv.Mat();
    cv.findContours(bitmap, contours, hierarchy, cv.RETR_LIST, cv.CHAIN_APPROX_SIMPLE);
    const boxes: Pt[][] = [];
    const n = Math.min(contours.size(), o.det.maxCandidates);
    for (let i = 0; i < n; i++) {
      const c = contours.get(i);
      const first = miniBox(cv, c);
      c.delete();
      if (first.side < 3) continue;
      if (boxScore(cv, prob, first.box) < o.det.boxThresh) continue;
      const grown = await unclip(first.box, o.det.unclipRatio);
      if (grown.length < 6) continue;
      const gm = cv.matFromArray(grown.length / 2, 1, cv.CV_32SC2, grown);
      const second = miniBox(cv, gm);
      gm.delete();
      if (second.side < 5) continue;
      const scaled = second.box.map(
        (p) =>
          [
            Math.min(Math.max(Math.round((p[0] / rw) * img.width), 0), img.width),
            Math.min(Math.max(Math.round((p[1] / rh) * img.height), 0), img.height),
          ] as Pt,
      );
      const box = orderClockwise(scaled);
      const bw = Math.trunc(Math.hypot(box[0][0] - box[1][0], box[0][1] - box[1][1]));
      const bh = Math.trunc(Math.hypot(box[0][0] - box[3][0], box[0][1] - box[3][1]));
      if (bw <= 3 || bh <= 3) continue;
      boxes.push(box);
    }
    contours.delete();
    hierarchy.delete();
    bitmap.delete();
    prob.delete();
    return sortBoxes(boxes);
  }

  private async recognize(img: Rgb, box: Pt[], o: OcrOptions): Promise<{ text: string; confidence: number }> {
    const cv = this.cv;
    const cw = Math.trunc(
      Math.max(
        Math.hypot(box[0][0] - box[1][0], box[0][1] - box[1][1]),
        Math.hypot(box[2][0] - box[3][0], box[2][1] - box[3][1]),
      ),
    );
    const ch = Math.trunc(
      Math.max(
        Math.hypot(box[0][0] - box[3][0], box[0][1] - box[3][1]),
        Math.hypot(box[1][0] - box[2][0], box[1][1] - box[2][1]),
      ),
    );
    const src = cv.matFromArray(img.height, img.width, cv.CV_8UC3, img.data);
    const from = cv.matFromArray(4, 1, cv.CV_32FC2, box.flat());
    const to = cv.matFromArray(4, 1, cv.CV_32FC2, [0, 0, cw, 0, cw, ch, 0, ch]);
    const M = cv.getPerspectiveTransform(from, to);
    let crop = new cv.Mat();
    cv.warpPerspective(src, crop, M, new cv.Size(cw, ch), cv.INTER_CUBIC, cv.BORDER_REPLICATE, new cv.Scalar());
    src.delete();
    from.delete();
    to.delete();
    M.delete();
    if (crop.rows / crop.cols >= 1.5) {
      const rotated = new cv.Mat();
      cv.rotate(crop, rotated, cv.ROTATE_90_COUNTERCLOCKWISE);
      crop.delete();
      crop = rotated;
    }
    const H = o.rec.height;
    const w = Math.min(Math.ceil((H * crop.cols) / crop.rows), o.rec.maxWidth);
    const padW = Math.max(w, o.rec.minWidth);
    const resized = new cv.Mat();
    cv.resize(crop, resized, new cv.Size(w, H), 0, 0, cv.INTER_LINEAR);
    crop.delete();
    // Padding is zero after normalisation, as in PaddleOCR.
    const x = toBgrTensor(resized.data as Uint8Array, w, H, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], padW);
    resized.delete();
    const out = await this.rec.run({ [this.rec.inputNames[0]]: new this.ort.Tensor("float32", x, [1, 3, H, padW]) });
    const t = out[this.rec.outputNames[0]];
    const [, T, C] = t.dims as number[];
    const p = t.data as Float32Array;
    let text = "";
    let sum = 0;
    let count = 0;
    let prev = -1;
    for (let s = 0; s < T; s++) {
      let best = 0;
      let bestP = p[s * C];
      for (let c = 1; c < C; c++)
        if (p[s * C + c] > bestP) {
          bestP = p[s * C + c];
          best = c;
        }
      if (best !== 0 && best !== prev) {
        text += this.keys[best - 1] ?? "";
        sum += bestP;
        count++;
      }
      prev = best;
    }
    return { text, confidence: count ? sum / count : 0 };
  }

  async release(): Promise<void> {
    await this.det.release();
    await this.rec.release();
  }
}

function checkLibraries(o: OcrOptions, source: string): void {
  for (const [pkg, want] of Object.entries(o.libraries)) {
    const have = installedVersion(pkg);
    if (have !== want)
      throw new ModelError(
        "UNSUPPORTED_RUNTIME",
        `${source}: built for ${pkg} ${want}, this node has ${have} (image arithmetic could differ)`,
      );
  }
}

function decodeOutput(output: Uint8Array): OcrOutput {
  const v = parseCanonicalJson(output) as OcrOutput;
  if (typeof v !== "object" || v === null || !Array.isArray(v.lines))
    throw new ModelError("BAD_OUTPUT", "paddle-ocr output must be {lines:[…]}");
  for (const l of v.lines)
    if (typeof l.text !== "string" || !Number.isInteger(l.confidence) || !Array.isArray(l.box) || l.box.length !== 4)
      throw new ModelError("BAD_OUTPUT", "paddle-ocr output line must be {box:[4 points],confidence:int,text}");
  return v;
}

/** The PaddleOCR pipeline. */
export const paddleOcrPipeline: Pipeline = {
  name: "paddle-ocr",
  validate,
  async load(bundle: LoadedBundle): Promise<PipelineRunner> {
    validate(bundle.manifest);
    const o = options(bundle.manifest);
    checkLibraries(o, bundle.source);
    const { createSession } = await import("../runtime.js");
    const ort = await import("onnxruntime-node");
    const [det, rec, { cv }] = await Promise.all([
      createSession(bundle.files.det, bundle.manifest.runtime, bundle.source),
      createSession(bundle.files.rec, bundle.manifest.runtime, bundle.source),
      loadCv(),
    ]);
    const keys = new TextDecoder().decode(bundle.files.keys).replace(/\r/g, "").split("\n");
    if (keys[keys.length - 1] === "") keys.pop();
    keys.push(" ");
    return new OcrRunner(bundle.manifest, det, rec, keys, cv, ort);
  },
  encodeInput(input: unknown, manifest: Manifest): Uint8Array {
    const bytes = input instanceof Uint8Array ? input : (input as { image?: Uint8Array })?.image;
    if (!(bytes instanceof Uint8Array))
      throw new ModelError("BAD_INPUT", "paddle-ocr input is image bytes (PNG or JPEG)");
    if (!isImage(bytes)) throw new ModelError("BAD_INPUT", "input is not a PNG or JPEG image");
    const max = manifest.input.maxBytes ?? DEFAULT_MAX_INPUT;
    if (bytes.length > max) throw new ModelError("BAD_INPUT", `image is ${bytes.length} bytes, more than ${max}`);
    return bytes;
  },
  decodeOutput: (output: Uint8Array) => decodeOutput(output),
  tamper(output: Uint8Array): Uint8Array {
    const v = decodeOutput(output);
    if (v.lines.length === 0)
      v.lines.push({
        box: [
          [0, 0],
          [8, 0],
          [8, 8],
          [0, 8],
        ],
        confidence: 9999,
        text: "PAID IN FULL",
      });
    else v.lines[0] = { ...v.lines[0], text: v.lines[0].text === "PAID IN FULL" ? "VOID" : "PAID IN FULL" };
    return canonicalJsonBytes(v);
  },
};
