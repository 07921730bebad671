/**
 * Renders the OCR test images once (`npx tsx scripts/models/gen-ocr-fixtures.ts`): SVG text rendered by sharp (librsvg, DejaVu
 * fonts), varied words, fonts, sizes, colours, a few multi-line, slightly noisy, blurred and JPEG images. Writes the
 * images and `ground-truth.json` ({ file: { lines: [...] } }, lines top to bottom) to test/fixtures/ocr/.
 *
 * The outputs are committed, so tests do not depend on the fonts or the libvips build of the machine running them.
 * Re-running it on another machine may give other pixels (fonts, librsvg): re-run the accuracy and determinism
 * scripts after regenerating.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { sha256Stream } from "../../zk/lib/prng.js";

const OUT = "test/fixtures/ocr";
const rnd = sha256Stream("veritas-ocr-fixtures-v1");
/** Uniform integer in [0, n). */
const pick = (n: number) => ((rnd() << 8) | rnd()) % n;
const choose = <T>(xs: readonly T[]): T => xs[pick(xs.length)];

const WORDS = [
  "invoice",
  "total",
  "amount",
  "due",
  "date",
  "receipt",
  "payment",
  "order",
  "number",
  "customer",
  "address",
  "street",
  "city",
  "phone",
  "email",
  "account",
  "balance",
  "credit",
  "debit",
  "transfer",
  "verified",
  "network",
  "model",
  "inference",
  "node",
  "stake",
  "escrow",
  "result",
  "proof",
  "token",
  "market",
  "report",
  "summary",
  "quarter",
  "revenue",
  "profit",
  "energy",
  "water",
  "garden",
  "window",
  "bridge",
  "river",
  "mountain",
  "station",
  "coffee",
  "bread",
  "butter",
  "apple",
  "orange",
  "yellow",
  "purple",
  "silver",
  "golden",
  "winter",
  "summer",
];
const FONTS = ["DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono", "DejaVu Sans Condensed"];

type Spec = {
  lines: string[];
  font: string;
  size: number;
  bold: boolean;
  fg: string;
  bg: string;
  noise: number;
  blur: boolean;
  jpeg: boolean;
};

function phrase(): string {
  const kind = pick(6);
  if (kind === 0) return choose(WORDS);
  if (kind === 1) return `${choose(WORDS)} ${choose(WORDS)}`;
  if (kind === 2) return `${cap(choose(WORDS))} ${choose(WORDS)} ${choose(WORDS)}`;
  if (kind === 3) return `${cap(choose(WORDS))}: ${pick(9000) + 100}`;
  if (kind === 4) return `${choose(WORDS).toUpperCase()} ${pick(90) + 10}.${String(pick(100)).padStart(2, "0")}`;
  return `${pick(28) + 1}/${pick(12) + 1}/20${pick(30) + 10} ${choose(WORDS)}`;
}
const cap = (w: string) => w[0].toUpperCase() + w.slice(1);
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function specs(): Spec[] {
  const out: Spec[] = [];
  for (let i = 0; i < 60; i++) {
    const multi = i % 6 === 5;
    const dark = i % 10 === 7;
    out.push({
      lines: multi ? Array.from({ length: 2 + pick(2) }, phrase) : [phrase()],
      font: FONTS[i % FONTS.length],
      size: [18, 22, 26, 32, 40, 48][pick(6)],
      bold: pick(4) === 0,
      fg: dark ? "#f0f0f0" : choose(["#000000", "#202020", "#1a237e", "#3e2723"]),
      bg: dark ? "#263238" : choose(["#ffffff", "#fafafa", "#fff8e1", "#e8f5e9"]),
      noise: i % 7 === 3 ? 24 : 0,
      blur: i % 11 === 4,
      jpeg: i % 8 === 6,
    });
  }
  return out;
}

async function render(s: Spec): Promise<Buffer> {
  const lineHeight = Math.round(s.size * 1.6);
  const pad = Math.round(s.size * 0.8);
  const longest = Math.max(...s.lines.map((l) => l.length));
  const width = Math.round(longest * s.size * 0.68) + 2 * pad;
  const height = s.lines.length * lineHeight + 2 * pad;
  const texts = s.lines
    .map(
      (l, k) =>
        `<text x="${pad}" y="${pad + k * lineHeight + s.size}" font-family="${s.font}" font-size="${s.size}"` +
        ` font-weight="${s.bold ? "bold" : "normal"}" fill="${s.fg}">${esc(l)}</text>`,
    )
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${s.bg}"/>${texts}</svg>`;
  let img = sharp(Buffer.from(svg)).flatten({ background: s.bg }).removeAlpha();
  if (s.blur) img = img.blur(0.8);
  if (s.noise > 0) {
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    for (let p = 0; p < data.length; p++) {
      const v = data[p] + (rnd() % (2 * s.noise + 1)) - s.noise;
      data[p] = Math.max(0, Math.min(255, v));
    }
    img = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  }
  return s.jpeg ? img.jpeg({ quality: 85 }).toBuffer() : img.png({ compressionLevel: 9, palette: false }).toBuffer();
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  for (const f of readdirSync(OUT)) if (/\.(png|jpg)$/.test(f)) rmSync(join(OUT, f));
  const truth: Record<string, { lines: string[] }> = {};
  let bytes = 0;
  const all = specs();
  for (let i = 0; i < all.length; i++) {
    const name = `img-${String(i).padStart(3, "0")}.${all[i].jpeg ? "jpg" : "png"}`;
    const buf = await render(all[i]);
    writeFileSync(join(OUT, name), buf);
    truth[name] = { lines: all[i].lines };
    bytes += buf.length;
  }
  writeFileSync(join(OUT, "ground-truth.json"), JSON.stringify(truth, null, 2) + "\n");
  console.log(`${all.length} images, ${bytes} bytes, in ${OUT}`);
}

await main();
