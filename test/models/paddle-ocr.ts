import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { materializeBundle } from "../../src/models/materialize.js";
import { pipelineFor } from "../../src/models/pipelines/index.js";
import type { OcrOutput } from "../../src/models/pipelines/paddle-ocr.js";
import { ModelError, type LoadedBundle, type Pipeline, type PipelineRunner } from "../../src/models/types.js";
import { describeOffChain } from "../helpers/offchain.js";

const FIXTURES = "test/fixtures/ocr";
const truth = JSON.parse(readFileSync(path.join(FIXTURES, "ground-truth.json"), "utf8")) as Record<
  string,
  { lines: string[] }
>;
const image = (f: string) => new Uint8Array(readFileSync(path.join(FIXTURES, f)));

async function rejectsWith(p: Promise<unknown>, code: ModelError["code"], msg: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected a ModelError").to.be.instanceOf(ModelError);
  expect((err as ModelError).code).to.equal(code);
  expect((err as ModelError).message).to.match(msg);
}

describeOffChain("paddle-ocr pipeline (PaddleOCR v4, real pretrained ONNX)", function () {
  this.timeout(120_000);
  let bundle: LoadedBundle;
  let pipeline: Pipeline;
  let runner: PipelineRunner;

  before(async () => {
    bundle = materializeBundle("paddleocr-v4");
    pipeline = await pipelineFor(bundle.manifest);
    runner = await pipeline.load(bundle);
  });
  after(async () => runner?.release());

  it("reads real rendered text: single and multi-line images, PNG and JPEG", async () => {
    const jpeg = pipeline.decodeOutput(await runner.run(image("img-006.jpg")), bundle.manifest) as OcrOutput;
    expect(jpeg.lines.map((l) => l.text).join(" ")).to.match(/email/);
    for (const f of ["img-000.png", "img-017.png", "img-047.png"]) {
      const out = pipeline.decodeOutput(await runner.run(image(f)), bundle.manifest) as OcrOutput;
      expect(
        out.lines.map((l) => l.text),
        f,
      ).to.deep.equal(truth[f].lines);
      for (const l of out.lines) {
        expect(l.confidence).to.be.within(5000, 10000);
        expect(l.box).to.have.length(4);
      }
    }
  });

  it("gives byte-identical canonical JSON on a re-run and after the session is loaded again", async () => {
    const a = await runner.run(image("img-011.png"));
    const b = await runner.run(image("img-011.png"));
    const again = await pipeline.load(bundle);
    const c = await again.run(image("img-011.png"));
    await again.release();
    expect(Buffer.from(b).equals(Buffer.from(a))).to.equal(true);
    expect(Buffer.from(c).equals(Buffer.from(a))).to.equal(true);
    expect(new TextDecoder().decode(a)).to.match(/^\{"lines":\[\{"box":\[\[\d+,\d+\],/);
  });

  it("refuses an input that is not an image, or a PNG that does not decode, with BAD_INPUT", async () => {
    await rejectsWith(runner.run(new TextEncoder().encode("hello, not an image")), "BAD_INPUT", /not a PNG or JPEG/);
    const broken = image("img-000.png").slice(0, 200);
    await rejectsWith(runner.run(broken), "BAD_INPUT", /does not decode/);
    expect(() => pipeline.encodeInput(new Uint8Array([1, 2, 3]), bundle.manifest)).to.throw(ModelError, /not a PNG/);
  });

  it("refuses a bundle built for other library versions (UNSUPPORTED_RUNTIME), or missing a file role (BAD_BUNDLE)", async () => {
    const o = bundle.manifest.options as { libraries: Record<string, string> };
    const other = {
      ...bundle,
      manifest: { ...bundle.manifest, options: { ...o, libraries: { ...o.libraries, sharp: "0.0.1" } } },
    };
    await rejectsWith(pipeline.load(other), "UNSUPPORTED_RUNTIME", /sharp 0\.0\.1/);
    const files = { ...bundle.manifest.files };
    delete (files as Record<string, unknown>).rec;
    expect(() => pipeline.validate({ ...bundle.manifest, files })).to.throw(ModelError, /"rec" missing/);
  });

  it("tamper gives a different, well-formed output (what a dishonest node would propose)", async () => {
    const honest = await runner.run(image("img-000.png"));
    const wrong = pipeline.tamper(honest, bundle.manifest);
    expect(Buffer.from(wrong).equals(Buffer.from(honest))).to.equal(false);
    const w = pipeline.decodeOutput(wrong, bundle.manifest) as OcrOutput;
    expect(w.lines[0].text).to.not.equal("Bridge: 7625");
  });
});
