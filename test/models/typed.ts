import { expect } from "chai";
import { readFileSync } from "node:fs";
import { network } from "hardhat";
import { keccak256 } from "ethers";
import { JobStatus, Mode, modeBit } from "../helpers/constants.js";
import { inputCommitment, toBytes32 } from "../../zk/lib/commitment.js";
import { releaseSnarkjs } from "../../zk/lib/snark.js";
import { VeritasClient } from "../../src/client.js";
import { IpfsGateway } from "../../src/ipfs/gateway.js";
import { readBundleDir } from "../../src/models/bundle.js";
import { bundleDir, materializeBundle } from "../../src/models/materialize.js";
import { publishBundleVersion } from "../../src/models/publish.js";
import { bundleCid, bundleFiles } from "../../src/models/source.js";
import {
  decodeResult,
  fetchVersionManifest,
  prepareInput,
  requestTypedInference,
  versionManifest,
  waitForTypedResult,
} from "../../src/models/typed.js";
import type { Manifest } from "../../src/models/types.js";
import { MEASUREMENT } from "../helpers/fixtures.js";
import { deployNodeFixture, makeNode, referenceBundle, tempDir } from "../helpers/node.js";
import { ZK_INPUT } from "../helpers/zk.js";

const { ethers, networkHelpers } = await network.create();
const fixture = () => deployNodeFixture(ethers, networkHelpers);
const png = new Uint8Array(readFileSync("test/fixtures/ocr/img-017.png"));
const jpeg = new Uint8Array(readFileSync("test/fixtures/ocr/img-006.jpg"));

describe("models/typed: a model's typed input and output for requesters", function () {
  this.timeout(120_000);
  let mlp: Manifest;
  let ocr: Manifest;
  before(function () {
    mlp = readBundleDir(referenceBundle()).manifest;
    ocr = materializeBundle("paddleocr-v4").manifest;
  });
  after(releaseSnarkjs);

  /** The node fixture with PaddleOCR published as a TEE version, its bundle on a local gateway, a client. */
  async function ocrVersion() {
    const f = await networkHelpers.loadFixture(fixture);
    const gw = new IpfsGateway();
    await gw.start();
    const b = readBundleDir(bundleDir("paddleocr-v4"));
    const cid = await gw.addDirectory(bundleFiles(b));
    const v = await publishBundleVersion(f.registry, f.modelOwner, f.modelId, b.manifest, `ipfs://${cid}`, {
      modes: modeBit(Mode.TEE),
      teeMeasurements: [MEASUREMENT],
    });
    const client = await VeritasClient.connect(f.requester, { addresses: { escrow: await f.escrow.getAddress() } });
    return { f, gw, b, cid, v, client };
  }

  describe("prepareInput", function () {
    it("an image: its bytes, keccak256 for TEE and optimistic, a data: URI of its media type, or the upload's URI", async function () {
      // (Inlining puts the bytes in the request's calldata: 16 gas a byte, so the default cap is 64 KiB.)
      const tee = await prepareInput(ocr, png, Mode.TEE, { maxInlineBytes: 1 << 20 });
      expect(tee.bytes).to.deep.equal(png);
      expect(tee.inputDigest).to.equal(keccak256(png));
      expect(tee.inputURI).to.equal(`data:image/png;base64,${Buffer.from(png).toString("base64")}`);
      const uploads: string[] = [];
      const j = await prepareInput(ocr, jpeg, Mode.OPTIMISTIC, {
        upload: async (bytes, type) => (uploads.push(type), `ipfs://uploaded-${bytes.length}`),
      });
      expect(uploads).to.deep.equal(["image/jpeg"]);
      expect(j).to.deep.include({ inputDigest: keccak256(jpeg), inputURI: `ipfs://uploaded-${jpeg.length}` });
      const given = await prepareInput(ocr, png, Mode.TEE, { inputURI: "https://example.org/a.png" });
      expect(given.inputURI).to.equal("https://example.org/a.png");
    });

    it("refuses what the schema does not take: a non-image, an image too large to inline, a ZK job of a model without a circuit", async function () {
      const bad = (p: Promise<unknown>, re: RegExp) =>
        p.then(
          () => expect.fail("accepted"),
          (e: Error & { code?: string }) => {
            expect(e.code).to.equal("BAD_INPUT");
            expect(e.message).to.match(re);
          },
        );
      await bad(prepareInput(ocr, new TextEncoder().encode("not an image"), Mode.TEE), /not a PNG or JPEG/);
      await bad(prepareInput(ocr, "a string", Mode.TEE), /image bytes/);
      await bad(prepareInput(ocr, png, Mode.TEE, { maxInlineBytes: 100 }), /more than 100 to inline/);
      await bad(prepareInput(ocr, png, Mode.ZK), /paddle-ocr pipeline has no ZK circuit/);
      await bad(prepareInput(mlp, [1, 2, 3], Mode.TEE), /8/);
      await bad(prepareInput(mlp, [1, 2, 3, 4, 5, 6, 7, 300], Mode.TEE), /int8|300|range/);
    });

    it("an int8 vector: JSON bytes, and for ZK the circuit's Poseidon input commitment", async function () {
      const zk = await prepareInput(mlp, ZK_INPUT, Mode.ZK);
      expect(new TextDecoder().decode(zk.bytes)).to.equal(JSON.stringify(ZK_INPUT));
      expect(zk.inputDigest).to.equal(toBytes32(inputCommitment(ZK_INPUT)));
      expect(zk.inputURI).to.equal(`data:application/json;base64,${Buffer.from(zk.bytes).toString("base64")}`);
      const tee = await prepareInput(mlp, ZK_INPUT, Mode.TEE);
      expect(tee.inputDigest).to.equal(keccak256(zk.bytes));
    });
  });

  it("fetchVersionManifest reads only manifest.json by CID and checks it against the registered digests", async function () {
    const { f, gw, b, cid, v, client } = await ocrVersion();
    try {
      const m = await versionManifest(client, v, { gateways: [gw.url] });
      expect(m).to.deep.equal(b.manifest);
      // Another version's manifest (the MLP's) does not pass for this one.
      const record = await f.registry.getVersion(v);
      const mlpCid = await gw.addDirectory(bundleFiles(readBundleDir(referenceBundle())));
      const other = fetchVersionManifest(
        { artifactURI: `ipfs://${mlpCid}`, weightsDigest: record.weightsDigest, ioSchemaDigest: record.ioSchemaDigest },
        { gateways: [gw.url] },
      );
      await other.then(
        () => expect.fail("accepted"),
        (e: Error & { code?: string }) => expect(e.code).to.equal("DIGEST_MISMATCH"),
      );
      gw.tamper = true;
      const tampered = fetchVersionManifest(
        { artifactURI: `ipfs://${cid}`, weightsDigest: record.weightsDigest, ioSchemaDigest: record.ioSchemaDigest },
        { gateways: [gw.url] },
      );
      await tampered.then(
        () => expect.fail("accepted"),
        (e: Error & { code?: string }) => expect(e.code).to.equal("CID_MISMATCH"),
      );
      expect(await bundleCid(b)).to.equal(cid);
    } finally {
      await gw.stop();
    }
  });

  it("a ZK job from the raw input: requestTypedInference sets the input commitment, the node proves it, the output decodes", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const client = await VeritasClient.connect(f.requester, { addresses: { escrow: await f.escrow.getAddress() } });
    // The plain client refuses to hash a ZK input with keccak256 (a job that could never be proven).
    let refused: Error | undefined;
    await client.requestInference({ versionId: 1n, mode: Mode.ZK, payment: 1_000_000n, input: "x" }).catch((e) => {
      refused = e;
    });
    expect(refused?.message).to.match(/input commitment, not keccak256/);

    const req = await requestTypedInference(client, {
      versionId: 1n,
      mode: Mode.ZK,
      payment: 1_000_000n,
      value: ZK_INPUT,
      manifest: mlp,
    });
    expect(req.job.inputDigest).to.equal(toBytes32(inputCommitment(ZK_INPUT)));
    const node = await makeNode(f, tempDir());
    const [s] = await node.runOnce();
    await node.stop();
    expect(s).to.include({ jobId: req.jobId, status: "settled", mode: "zk" });
    const r = await waitForTypedResult(client, req.jobId, mlp, { timeout: 5_000 });
    const value = r.value as { logits: bigint[]; label: bigint };
    expect(r.verification.mode).to.equal("ZK");
    expect(value.logits).to.have.length(3);
    expect(Number(value.label)).to.equal(value.logits.indexOf(value.logits.reduce((a, b) => (b > a ? b : a))));
  });

  it("a ZK job from a raw int8 input with the plain client: requestInference commits to it, sends it inline, and the node proves it", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const client = await VeritasClient.connect(f.requester, { addresses: { escrow: await f.escrow.getAddress() } });
    const refusal = (input: number[]) =>
      client.requestInference({ versionId: 1n, mode: Mode.ZK, payment: 1_000_000n, input }).then(
        () => "requested",
        (e: Error) => e.message,
      );
    expect(await refusal([1, 128])).to.equal(
      "requestInference: an array `input` must be a non-empty vector of int8 integers",
    );
    expect(await refusal([])).to.match(/non-empty vector of int8/);

    const req = await client.requestInference({ versionId: 1n, mode: Mode.ZK, payment: 1_000_000n, input: ZK_INPUT });
    expect(req.job.inputDigest).to.equal(toBytes32(inputCommitment(ZK_INPUT)));
    expect(req.inputURI).to.equal(`data:application/json,${encodeURIComponent(JSON.stringify(ZK_INPUT))}`);
    const node = await makeNode(f, tempDir());
    const [s] = await node.runOnce();
    await node.stop();
    expect(s).to.include({ jobId: req.jobId, status: "settled", mode: "zk" });
    expect((await client.waitForResult(req.jobId, { timeout: 5_000 })).jobId).to.equal(req.jobId);

    // The same array for a TEE job: keccak256 of its JSON text, which is what the node reads from the inline URI.
    const tee = await client.requestInference({ versionId: 1n, mode: Mode.TEE, payment: 1_000_000n, input: ZK_INPUT });
    expect(tee.job.inputDigest).to.equal(keccak256(new TextEncoder().encode(JSON.stringify(ZK_INPUT))));
  });

  it("a TEE OCR job from image bytes uploaded to IPFS: the node reads it, the result decodes to the recognised lines", async function () {
    const { f, gw, b, cid, v, client } = await ocrVersion();
    try {
      const req = await requestTypedInference(client, {
        versionId: v,
        mode: Mode.TEE,
        payment: 1_000_000n,
        value: png,
        gateways: [gw.url],
        upload: async (bytes) => `ipfs://${await gw.addFile(bytes)}`,
      });
      expect(req.inputURI).to.match(/^ipfs:\/\/bafk/);
      expect(req.job.inputDigest).to.equal(keccak256(png));
      const node = await makeNode(f, tempDir(), { models: [{ versionId: v }], gateways: [gw.url] });
      const [s] = await node.runOnce();
      await node.stop();
      expect(s).to.include({ jobId: req.jobId, status: "settled" });
      const r = await waitForTypedResult(client, req.jobId, req.manifest, { timeout: 5_000 });
      const lines = (r.value as { lines: { text: string; confidence: number }[] }).lines;
      expect(lines.map((l) => l.text)).to.deep.equal(["escrow email", "winter"]);
      expect(await f.escrow.jobStatus(req.jobId)).to.equal(JobStatus.Settled);
      expect(await decodeResult(req.manifest, r.output)).to.deep.equal(r.value);
    } finally {
      await gw.stop();
    }
  });
});
