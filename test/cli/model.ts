import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import hre, { network } from "hardhat";
import { id } from "ethers";
import { CID } from "multiformats/cid";
import { Mode, modeBit } from "../../src/constants.js";
import { IpfsGateway } from "../../src/ipfs/gateway.js";
import { verifyCar } from "../../src/ipfs/index.js";
import { readBundleDir, versionDigests } from "../../src/models/bundle.js";
import { bundleDir, materializeBundle } from "../../src/models/materialize.js";
import { bundleCid, bundleFiles } from "../../src/models/source.js";
import { deploySuite, LOCAL_PARAMS, type Suite } from "../../deploy/suite.js";
import { veritasCli } from "../helpers/cli.js";
import { referenceBundle, tamperedBundle } from "../helpers/node.js";

const { ethers } = await network.getOrCreate();

describe("veritas model publish / inspect (Hardhat tasks, in-process network)", function () {
  this.timeout(120_000);
  let s: Suite;
  let deployment: string;
  let dir: string;
  const [DEPLOYER, GOVERNANCE, TREASURY, OWNER, OTHER] = [0, 1, 2, 3, 4];
  let signers: Awaited<ReturnType<typeof ethers.getSigners>>;
  const measurement = id("model-cli-test-enclave-image");

  const { veritas, value, failure } = veritasCli(hre, () => deployment);

  before(async function () {
    signers = await ethers.getSigners();
    s = await deploySuite(
      ethers,
      signers[DEPLOYER],
      LOCAL_PARAMS(signers[GOVERNANCE].address, signers[TREASURY].address, signers[DEPLOYER].address),
    );
    const contracts: Record<string, string> = {};
    for (const [name, c] of Object.entries(s)) contracts[name === "usd" ? "paymentToken" : name] = await c.getAddress();
    dir = mkdtempSync(path.join(tmpdir(), "veritas-model-cli-"));
    deployment = path.join(dir, "deployment.json");
    writeFileSync(deployment, JSON.stringify({ chainId: 31337, network: "default", deployedAtBlock: 0, contracts }));
    materializeBundle("mlp-8x8x3");
  });

  const owner = { account: String(OWNER) };
  const tee = { modes: "tee", measurements: measurement };

  it("publish checks the bundle, creates the model and the version with the manifest's digests and the bundle's CID", async function () {
    const car = path.join(dir, "bundle.car");
    const r = await veritas(["model", "publish"], {
      ...owner,
      ...tee,
      bundle: referenceBundle(),
      royalty: "0.05",
      car,
    });
    const v = value(r);
    const bundle = readBundleDir(referenceBundle());
    const digests = versionDigests(bundle.manifest);
    const cid = await bundleCid(bundle);
    expect(v).to.deep.include({ modelId: 1n, versionId: 1n, cid, artifactURI: `ipfs://${cid}` });
    const onChain = await s.registry.getVersion(1n);
    expect(onChain.weightsDigest).to.equal(digests.weightsDigest);
    expect(onChain.ioSchemaDigest).to.equal(digests.ioSchemaDigest);
    expect(onChain.artifactURI).to.equal(`ipfs://${cid}`);
    expect(onChain.terms.royalty).to.equal(50_000n);
    expect(onChain.terms.modes).to.equal(BigInt(modeBit(Mode.TEE)));
    expect(await s.registry.modelOwner(1n)).to.equal(signers[OWNER].address);
    expect(await s.registry.teeMeasurementsOf(1n)).to.deep.equal([measurement]);
    expect(r.out).to.match(
      /pipeline quantized-mlp, 4 files, 13\.\d\d MB, onnxruntime-node 1\.30\.0 \(loads here in \d+ ms\)/,
    );
    expect(r.out).to.include(`Version 1 of model 1 published: ipfs://${cid}`);
    // The CAR holds the whole DAG under the CID: a pinning service gets exactly the bundle.
    const blocks = await verifyCar(readFileSync(car), CID.parse(cid));
    expect(blocks).to.not.equal(undefined);
  });

  it("publish --model-id adds a version to an existing model; someone else's model is refused by its custom error", async function () {
    const models = await s.registry.modelCount();
    const r = await veritas(["model", "publish"], { ...owner, ...tee, bundle: referenceBundle(), modelId: 1n });
    expect(value(r)).to.deep.include({ modelId: 1n, versionId: 2n });
    expect(await s.registry.modelCount()).to.equal(models);
    expect((await s.registry.versionsOf(1n)).map(Number)).to.deep.equal([1, 2]);

    const other = await veritas(["model", "publish"], {
      account: String(OTHER),
      ...tee,
      bundle: referenceBundle(),
      modelId: 1n,
    });
    expect(failure(other)).to.deep.include({ name: "NotModelOwner" });
  });

  it("publish refuses a bad bundle before sending anything: tampered file, unknown pipeline, missing mode settings", async function () {
    const versions = await s.registry.versionCount();
    const tampered = await veritas(["model", "publish"], { ...owner, ...tee, bundle: tamperedBundle(dir) });
    expect(failure(tampered).message).to.match(/^DIGEST_MISMATCH: .*file model \(model\.onnx\)/);

    // Files that match the manifest, weights that do not give the manifest's ZK commitment: the pipeline refuses it.
    const inconsistent = await veritas(["model", "publish"], { ...owner, ...tee, bundle: tamperedBundle(dir, true) });
    expect(failure(inconsistent).message).to.match(/^DIGEST_MISMATCH: .*do not give zk\.weightsCommitment/);

    const unknown = path.join(dir, "unknown-pipeline");
    const { cpSync } = await import("node:fs");
    cpSync(referenceBundle(), unknown, { recursive: true });
    const m = JSON.parse(readFileSync(path.join(unknown, "manifest.json"), "utf8"));
    writeFileSync(path.join(unknown, "manifest.json"), JSON.stringify({ ...m, pipeline: "whisper" }));
    const r2 = await veritas(["model", "publish"], { ...owner, ...tee, bundle: unknown });
    expect(failure(r2).message).to.match(/^UNKNOWN_PIPELINE: no pipeline "whisper"/);

    const missing = await veritas(["model", "publish"], { ...owner, ...tee, bundle: path.join(dir, "nope") });
    expect(failure(missing).message).to.match(/^BAD_BUNDLE: .*no manifest\.json/);

    const noVerifier = await veritas(["model", "publish"], { ...owner, modes: "zk", bundle: referenceBundle() });
    expect(failure(noVerifier).message).to.equal("--zk-verifier is required for the zk mode");
    const noImages = await veritas(["model", "publish"], { ...owner, modes: "tee", bundle: referenceBundle() });
    expect(failure(noImages).message).to.match(/^--measurements is required for the tee mode/);
    expect(failure(await veritas(["model", "publish"], owner)).message).to.equal("--bundle DIR is required");
    expect(await s.registry.versionCount()).to.equal(versions);
  });

  it("publish --fill-digests writes the files' sizes and digests into a manifest that lists only paths", async function () {
    const { cpSync } = await import("node:fs");
    const own = path.join(dir, "own-bundle");
    cpSync(referenceBundle(), own, { recursive: true });
    const m = JSON.parse(readFileSync(path.join(own, "manifest.json"), "utf8"));
    const expected = m.files;
    m.files = Object.fromEntries(
      Object.entries(m.files).map(([role, f]) => [role, { path: (f as { path: string }).path }]),
    );
    writeFileSync(path.join(own, "manifest.json"), JSON.stringify(m));
    const without = await veritas(["model", "publish"], { ...owner, ...tee, bundle: own });
    expect(failure(without).message).to.match(/^DIGEST_MISMATCH|^BAD_BUNDLE/);
    const r = await veritas(["model", "publish"], { ...owner, ...tee, bundle: own, modelId: 1n, fillDigests: true });
    value(r);
    expect(r.out).to.include("size and sha256 written for model, wasm, zkey, vkey");
    expect(JSON.parse(readFileSync(path.join(own, "manifest.json"), "utf8")).files).to.deep.equal(expected);
  });

  it("publish registers a ZK version with the circuit's weights commitment and its verifier", async function () {
    const verifier = await ethers.deployContract("MlpGroth16Verifier");
    const r = await veritas(["model", "publish"], {
      ...owner,
      modes: "zk,optimistic",
      zkVerifier: await verifier.getAddress(),
      bundle: referenceBundle(),
      modelId: 1n,
    });
    const versionId = value(r).versionId as bigint;
    const manifest = readBundleDir(referenceBundle()).manifest;
    expect(await s.registry.weightsDigestOf(versionId)).to.equal(manifest.zk!.weightsCommitment.toLowerCase());
    expect((await s.registry.zkVerifierOf(versionId)).verifier).to.equal(await verifier.getAddress());
    expect(r.out).to.include("(the circuit's weights commitment)");
  });

  it("inspect shows a version back, and with --gateway fetches and verifies its bundle", async function () {
    const plain = await veritas(["model", "inspect"], { versionId: "1" });
    const v = value(plain);
    expect(v).to.deep.include({ versionId: 1n, modelId: 1n, owner: signers[OWNER].address, modes: modeBit(Mode.TEE) });
    expect(v.manifest).to.equal(undefined);
    expect(plain.out).to.include("Version 1 of model 1");
    expect(plain.out).to.match(/royalty +0\.05 /);
    expect(plain.out).to.include(`enclave image   ${measurement}`);

    const gateway = new IpfsGateway();
    await gateway.addDirectory(bundleFiles(readBundleDir(bundleDir("mlp-8x8x3"))));
    await gateway.start();
    try {
      const fetched = await veritas(["model", "inspect"], { versionId: "1", gateway: gateway.url });
      expect((value(fetched).manifest as { pipeline: string }).pipeline).to.equal("quantized-mlp");
      expect(fetched.out).to.include("verified (CID and every file), digests match the version");
      expect(fetched.out).to.match(/input +int8-vector, length 8/);
      expect(gateway.requests).to.be.greaterThan(0);

      gateway.tamper = true;
      const bad = await veritas(["model", "inspect"], { versionId: "1", gateway: gateway.url });
      expect(failure(bad).message).to.match(/does not match version 1/);
    } finally {
      await gateway.stop();
    }
  });

  it("inspect --bundle refuses a local bundle that is not the version's; an unknown version is its custom error", async function () {
    const consistent = tamperedBundle(dir, true);
    const r = await veritas(["model", "inspect"], { versionId: "1", bundle: consistent });
    expect(failure(r).message).to.match(
      /does not match version 1: .* is ipfs:\/\/\w+, the version's artefact is ipfs:/,
    );
    const ok = await veritas(["model", "inspect"], { versionId: "1", bundle: referenceBundle() });
    expect(value(ok).manifest).to.not.equal(undefined);

    const unknown = await veritas(["model", "inspect"], { versionId: "99" });
    expect(failure(unknown)).to.deep.include({ name: "UnknownVersion" });
    expect(failure(await veritas(["model", "inspect"], {})).message).to.match(/VERSION/);
    expect(existsSync(consistent)).to.equal(true);
  });
});
