import { expect } from "chai";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import onnxProto from "onnx-proto";
import { keccak256, toUtf8Bytes } from "ethers";
import {
  checkBundleDigests,
  ioSchemaDigest,
  manifestDigest,
  readBundleDir,
  sha256Hex,
  validateManifest,
  versionDigests,
} from "../../src/models/bundle.js";
import { canonicalJson, parseCanonicalJson } from "../../src/models/canonical.js";
import { getPipeline } from "../../src/models/pipelines/index.js";
import { checkRuntime, ORT_VERSION } from "../../src/models/runtime.js";
import { bundleCid, bundleFiles, loadBundle } from "../../src/models/source.js";
import { ModelError, type LoadedBundle, type Manifest } from "../../src/models/types.js";
import { IpfsGateway } from "../../src/ipfs/gateway.js";
import { referenceBundle, tempDir } from "../helpers/node.js";
import { describeOffChain } from "../helpers/offchain.js";

/** Expects `fn` to throw a ModelError with `code` whose message matches `msg`. */
async function throwsModelError(fn: () => unknown, code: ModelError["code"], msg: RegExp): Promise<void> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  expect(err, "no error thrown").to.be.instanceOf(ModelError);
  expect((err as ModelError).code).to.equal(code);
  expect((err as ModelError).message).to.match(msg);
}

/** A one-file `tensors` bundle: y = x + b (float32 [1,3]), built with onnx-proto. */
function addBundle(dir: string): string {
  const { onnx } = onnxProto;
  const f32 = onnx.TensorProto.DataType.FLOAT;
  const vi = (name: string) => ({
    name,
    type: { tensorType: { elemType: f32, shape: { dim: [{ dimValue: 1 }, { dimValue: 3 }] } } },
  });
  const model = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "veritas-test",
    graph: {
      name: "add",
      node: [{ opType: "Add", input: ["x", "b"], output: ["y"] }],
      initializer: [{ name: "b", dataType: f32, dims: [1, 3], floatData: [0.5, -1, 2] }],
      input: [vi("x")],
      output: [vi("y")],
    },
  }).finish();
  const out = path.join(dir, "add");
  cpSync(referenceBundle(), out, { recursive: true, filter: (p) => !/\.(wasm|zkey|onnx)$|verification_key/.test(p) });
  writeFileSync(path.join(out, "model.onnx"), model);
  const manifest: Manifest = {
    format: "veritas-bundle/1",
    name: "add-test",
    pipeline: "tensors",
    runtime: {
      name: "onnxruntime-node",
      version: ORT_VERSION,
      executionProvider: "cpu",
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
    },
    files: { model: { path: "model.onnx", size: model.length, sha256: sha256Hex(model) } },
    input: { kind: "tensors", tensors: { x: { dtype: "float32", shape: [1, 3] } } },
    output: { kind: "tensors", tensors: { y: { dtype: "float32", shape: [1, 3] } } },
  };
  writeFileSync(path.join(out, "manifest.json"), JSON.stringify(manifest, null, 2));
  return out;
}

describeOffChain("models: bundles, digests, content addressing", function () {
  describe("canonical JSON (RFC 8785)", function () {
    it("sorts keys, drops white space, writes numbers as ECMAScript does; refuses what JSON cannot carry", function () {
      expect(canonicalJson({ b: [1, 2.5, "x"], a: { d: null, c: true } })).to.equal(
        '{"a":{"c":true,"d":null},"b":[1,2.5,"x"]}',
      );
      expect(canonicalJson({ n: 1e21, m: 0.1 })).to.equal('{"m":0.1,"n":1e+21}');
      expect(() => canonicalJson({ x: NaN })).to.throw(ModelError, /NaN has no JSON form/);
      expect(() => canonicalJson({ x: 1n })).to.throw(ModelError, /bigint has no JSON form/);
      expect(parseCanonicalJson(toUtf8Bytes('{"a":1}'))).to.deep.equal({ a: 1 });
      expect(() => parseCanonicalJson(toUtf8Bytes('{ "a": 1 }'))).to.throw(ModelError, /not canonical JSON/);
      expect(() => parseCanonicalJson(Uint8Array.from([0xff, 0xfe]))).to.throw(ModelError, /not JSON/);
    });
  });

  describe("the digest rule", function () {
    let ref: LoadedBundle;
    before(() => (ref = readBundleDir(referenceBundle())));

    it("ZK bundles register the circuit's weights commitment; others the manifest digest; I/O digest from the schema", function () {
      const m = ref.manifest;
      const d = versionDigests(m);
      expect(d.weightsDigest).to.equal("0x1eda1e269745a785906a0877fee725921924d15c8341debd82568024aff26094");
      expect(d.manifestDigest).to.equal(keccak256(toUtf8Bytes(canonicalJson(m))));
      expect(d.ioSchemaDigest).to.equal(
        keccak256(toUtf8Bytes(canonicalJson({ pipeline: m.pipeline, input: m.input, output: m.output }))),
      );
      const plain = { ...m, zk: undefined };
      expect(versionDigests(plain).weightsDigest).to.equal(manifestDigest(plain));
      // Options and files move the manifest digest, never the I/O schema digest.
      const tuned = { ...plain, options: { threshold: 0.3 } };
      expect(manifestDigest(tuned)).to.not.equal(manifestDigest(plain));
      expect(ioSchemaDigest(tuned)).to.equal(ioSchemaDigest(plain));
      // Key order and formatting of manifest.json do not matter.
      const reverse = (v: unknown): unknown =>
        Array.isArray(v)
          ? v.map(reverse)
          : v && typeof v === "object"
            ? Object.fromEntries(
                Object.keys(v)
                  .sort()
                  .reverse()
                  .map((k) => [k, reverse((v as Record<string, unknown>)[k])]),
              )
            : v;
      const reordered = reverse(plain);
      expect(JSON.stringify(reordered)).to.not.equal(JSON.stringify(plain));
      expect(manifestDigest(reordered as Manifest)).to.equal(manifestDigest(plain));
    });

    it("a bundle whose digests differ from the registered ones is refused (DIGEST_MISMATCH)", async function () {
      const d = versionDigests(ref.manifest);
      expect(() => checkBundleDigests(ref, d)).to.not.throw();
      await throwsModelError(
        () => checkBundleDigests(ref, { ...d, weightsDigest: keccak256("0x01") }),
        "DIGEST_MISMATCH",
        /weights digest 0x1eda.* != registered/,
      );
      await throwsModelError(
        () => checkBundleDigests(ref, { ...d, ioSchemaDigest: keccak256("0x02") }),
        "DIGEST_MISMATCH",
        /I\/O schema digest/,
      );
    });

    it("a file whose bytes differ from the manifest is refused with both digests in the message", async function () {
      const dir = tempDir();
      const copy = path.join(dir, "b");
      cpSync(referenceBundle(), copy, { recursive: true });
      const file = path.join(copy, "verification_key.json");
      writeFileSync(file, readFileSync(file, "utf8").replace("groth16", "groth17"));
      await throwsModelError(() => readBundleDir(copy), "DIGEST_MISMATCH", /file vkey \(verification_key\.json\) is/);
    });

    it("manifest checks: format, paths inside the bundle, single-threaded runtime, zk roles", async function () {
      const m = JSON.parse(JSON.stringify(ref.manifest)) as Manifest;
      const bad = (patch: (x: Manifest) => void, msg: RegExp) => {
        const x = JSON.parse(JSON.stringify(m)) as Manifest;
        patch(x);
        return throwsModelError(() => validateManifest(x), "BAD_BUNDLE", msg);
      };
      await bad((x) => ((x as { format: string }).format = "other/2"), /format "other\/2"/);
      await bad((x) => (x.files.model.path = "../model.onnx"), /must be relative, inside the bundle/);
      await bad((x) => (x.files.model.path = "manifest.json"), /cannot be a listed file/);
      await bad((x) => ((x.runtime as { intraOpNumThreads: number }).intraOpNumThreads = 4), /must be 1/);
      await bad((x) => (x.zk!.wasm = "circuit"), /zk names file role "circuit"/);
      await bad((x) => ((x.input as { kind: string }).kind = "audio"), /input.kind "audio"/);
      await throwsModelError(
        () => checkRuntime({ ...m.runtime, version: "1.17.0" }),
        "UNSUPPORTED_RUNTIME",
        /built for onnxruntime-node 1\.17\.0, this node has 1\.30\.0/,
      );
    });
  });

  describe("IPFS: CIDs and verified fetches", function () {
    let gw: IpfsGateway;
    let bad: IpfsGateway;
    beforeEach(async () => {
      gw = new IpfsGateway();
      bad = new IpfsGateway();
      await gw.start();
      await bad.start();
    });
    afterEach(async () => {
      await gw.stop();
      await bad.stop();
    });

    it("the bundle's CID is its files' UnixFS directory; the same bytes give the same CID, one byte another", async function () {
      const ref = readBundleDir(referenceBundle());
      const cid = await bundleCid(ref);
      expect(cid).to.match(/^bafy/);
      expect(await gw.addDirectory(bundleFiles(ref))).to.equal(cid);
      const files = bundleFiles(ref);
      const changed = { ...files, "model.onnx": Uint8Array.from(files["model.onnx"], (b, i) => (i === 9 ? b ^ 1 : b)) };
      expect(await bad.addDirectory(changed)).to.not.equal(cid);
    });

    it("loads a bundle from ipfs:// through gateways; a tampering gateway is caught and the next one used", async function () {
      const ref = readBundleDir(referenceBundle());
      const cid = await gw.addDirectory(bundleFiles(ref));
      await bad.addDirectory(bundleFiles(ref));
      bad.tamper = true;
      await throwsModelError(
        () => loadBundle(`ipfs://${cid}`, { gateways: [bad.url] }),
        "CID_MISMATCH",
        /does not hash to its CID \(tampered\)/,
      );
      const loaded = await loadBundle(`ipfs://${cid}`, { gateways: [bad.url, gw.url] });
      expect(versionDigests(loaded.manifest)).to.deep.equal(versionDigests(ref.manifest));
      expect(loaded.files.zkey.length).to.equal(ref.files.zkey.length);
      await throwsModelError(
        () => loadBundle(`ipfs://${cid}`, { gateways: [] }),
        "FETCH_FAILED",
        /no IPFS gateway configured/,
      );
    });
  });

  describe("the tensors pipeline (generic ONNX runner)", function () {
    it("runs named tensors of the schema to canonical JSON; a wrong shape, type or value is a clear BAD_INPUT", async function () {
      const b = readBundleDir(addBundle(tempDir()));
      const p = await getPipeline("tensors");
      p.validate(b.manifest);
      const r = await p.load(b);
      const input = p.encodeInput({ x: { dtype: "float32", dims: [1, 3], data: [1, 2, 3] } }, b.manifest);
      const out = await r.run(input);
      expect(new TextDecoder().decode(out)).to.equal('{"y":{"data":[1.5,1,5],"dims":[1,3],"dtype":"float32"}}');
      expect(p.decodeOutput(out, b.manifest)).to.deep.equal({
        y: { data: [1.5, 1, 5], dims: [1, 3], dtype: "float32" },
      });
      expect(new TextDecoder().decode(p.tamper(out, b.manifest))).to.not.equal(new TextDecoder().decode(out));
      const run = (x: unknown) => r.run(toUtf8Bytes(JSON.stringify(x)));
      await throwsModelError(
        () => run({ x: { dtype: "float32", dims: [1, 4], data: [1, 2, 3, 4] } }),
        "BAD_INPUT",
        /shape \[1,4\], the model takes \[1,3\]/,
      );
      await throwsModelError(
        () => run({ x: { dtype: "int8", dims: [1, 3], data: [1, 2, 3] } }),
        "BAD_INPUT",
        /element type int8, the model takes float32/,
      );
      await throwsModelError(
        () => run({ x: { dtype: "float32", dims: [1, 3], data: [1, 2] } }),
        "BAD_INPUT",
        /2 values for shape \[1,3\]/,
      );
      await throwsModelError(() => run({ z: {} }), "BAD_INPUT", /input has tensor z/);
      await throwsModelError(() => r.run(toUtf8Bytes("not json")), "BAD_INPUT", /input is not JSON/);
      await r.release();
    });
  });
});
