import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import onnxProto from "onnx-proto";
import * as snarkjs from "snarkjs";
import { JobStatus, Mode, modeBit } from "../helpers/constants.js";
import { releaseSnarkjs } from "../../zk/lib/snark.js";
import { readOnnxWeights } from "../../zk/lib/onnx.js";
import { forward as referenceForward } from "../../zk/lib/reference.js";
import { exportVerifierSource, familyVerifierNaming } from "../../zk/lib/verifier-export.js";
import { VeritasClient } from "../../src/client.js";
import { IpfsGateway } from "../../src/ipfs/gateway.js";
import { readBundleDir } from "../../src/models/bundle.js";
import { bundleDir, materializeBundle, REPO_ROOT } from "../../src/models/materialize.js";
import { quantizedMlpPipeline, familyModelOf } from "../../src/models/pipelines/quantized-mlp.js";
import { publishBundleVersion } from "../../src/models/publish.js";
import { createSession, runSession } from "../../src/models/runtime.js";
import { bundleFiles } from "../../src/models/source.js";
import type { ZkPipelineRunner } from "../../src/models/types.js";
import { requestTypedInference, waitForTypedResult } from "../../src/models/typed.js";
import { generateCircom } from "../../src/models/zk/circom.js";
import {
  boundsOf,
  chainCommit,
  commitInput,
  FamilyError,
  forward,
  shapeName,
  toBytes32,
  weightsCommitment,
  type FamilyModel,
} from "../../src/models/zk/family.js";
import { buildFamilyOnnx, parseFamilyOnnx } from "../../src/models/zk/onnx.js";
import { sha256Stream } from "../../zk/lib/prng.js";
import { deployNodeFixture, makeNode, tempDir } from "../helpers/node.js";
import { UNDER_COVERAGE } from "../helpers/rpc-node.js";

const { ethers, networkHelpers } = await network.create();
const fixture = () => deployNodeFixture(ethers, networkHelpers);

/** The two models compiled by zk/scripts/compile.ts from Iris classifiers trained by zk/scripts/train-iris.ts. */
const IRIS = [
  { recipe: "iris-4x16x3", contract: "Iris4x16x3Groth16Verifier", form: "Gemm" },
  { recipe: "iris-4x8x6x3", contract: "Iris4x8x6x3Groth16Verifier", form: "MatMul" },
] as const;
const recipeFile = (recipe: string, f: string) => path.join(REPO_ROOT, "models", recipe, f);
const readJson = (p: string) => JSON.parse(readFileSync(p, "utf8"));
const rnd = sha256Stream("veritas/test/zk-family/v1");
const randomInput = (n: number) => Array.from({ length: n }, () => rnd() - 128);

const { onnx } = onnxProto;
/** `bytes` with `edit` applied to its decoded ModelProto. */
function editOnnx(bytes: Uint8Array, edit: (m: onnxProto.onnx.ModelProto) => void): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  edit(m);
  return onnx.ModelProto.encode(m).finish();
}

describe("ZK compiler: the quantized-MLP family (ONNX -> circuit, setup, verifier, bundle)", function () {
  this.timeout(180_000);
  after(releaseSnarkjs);

  describe("the family and its ONNX form", function () {
    it("reads the reference ONNX file into the family: same weights, same commitment as its bundle, same outputs", function () {
      const bytes = readFileSync(path.join(REPO_ROOT, "zk", "model", "mlp.onnx"));
      const { model } = parseFamilyOnnx(bytes);
      const w = readOnnxWeights();
      expect(model.layers.map((l) => [l.W, l.b, l.shift])).to.deep.equal([
        [w.W1, w.b1, 8],
        [w.W2, w.b2, undefined],
      ]);
      const manifest = readJson(path.join(REPO_ROOT, "models", "mlp-8x8x3", "manifest.json"));
      expect(toBytes32(weightsCommitment(model))).to.equal(manifest.zk.weightsCommitment);
      for (let i = 0; i < 200; i++) {
        const x = randomInput(8);
        const r = referenceForward(w, x);
        expect(forward(model, x)).to.deep.equal({ logits: r.logits, label: r.label });
      }
      const bounds = boundsOf(model);
      expect(bounds.map((b) => b.zBits)).to.deep.equal([18, 21]); // the hand-written circuit's ZB and LB
    });

    it("compiles the reference model to a circuit of the hand-written circuit's size (5,886 constraints, 5,878 wires)", async function () {
      const { model } = parseFamilyOnnx(readFileSync(path.join(REPO_ROOT, "zk", "model", "mlp.onnx")));
      const dir = mkdtempSync(path.join(tmpdir(), "veritas-circom-"));
      try {
        const file = path.join(dir, "circuit.circom");
        writeFileSync(file, generateCircom(model, "veritas-mlp-8x8x3"));
        const cli = createRequire(import.meta.url).resolve("circom2/cli.js");
        const r = spawnSync(process.execPath, [cli, file, "--r1cs", "--O2", "-l", "node_modules", "-o", dir], {
          cwd: REPO_ROOT,
          encoding: "utf8",
        });
        expect(r.status, r.stderr).to.equal(0);
        const info = await snarkjs.r1cs.info(path.join(dir, "circuit.r1cs"));
        expect([info.nConstraints, info.nVars, info.nOutputs, info.nPubInputs]).to.deep.equal([5886, 5878, 4, 3]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("both layer forms (Gemm, MatMul + Add) read back to the model they were built from", function () {
      const m: FamilyModel = {
        nIn: 5,
        layers: [
          { W: Array.from({ length: 7 }, () => randomInput(5)), b: [1000, -2000, 0, 5, -32768, 32767, 3], shift: 4 },
          { W: Array.from({ length: 4 }, () => randomInput(7)), b: [0, 1, 2, 3], shift: 10 },
          { W: Array.from({ length: 2 }, () => randomInput(4)), b: [-7, 7] },
        ],
      };
      // ReLU without a rescale (S = 0) fits float32 only in a narrow network.
      const noShift: FamilyModel = {
        nIn: 1,
        layers: [
          { W: [[-3]], b: [40], shift: 0 },
          { W: [[1], [-1]], b: [0, 5] },
        ],
      };
      for (const model of [m, noShift])
        for (const form of ["gemm", "matmul"] as const) {
          const back = parseFamilyOnnx(buildFamilyOnnx(model, { form, name: "t" }));
          expect(back.model, form).to.deep.equal(model);
        }
      expect(forward(noShift, [-5]).logits).to.deep.equal([55, -50]);
      expect(shapeName(m)).to.equal("5x7x4x2");
    });

    it("refuses ONNX outside the family, naming the node or the bound", function () {
      const ref = readFileSync(path.join(REPO_ROOT, "zk", "model", "mlp.onnx"));
      const refuse = (bytes: Uint8Array, re: RegExp) => expect(() => parseFamilyOnnx(bytes)).to.throw(FamilyError, re);
      refuse(new TextEncoder().encode("not onnx at all"), /ONNX|graph/);
      refuse(
        editOnnx(ref, (m) => (m.graph!.node!.find((n) => n.opType === "Relu")!.opType = "Sigmoid")),
        /Sigmoid is outside the quantized-MLP family/,
      );
      refuse(
        editOnnx(ref, (m) => {
          const s = m.graph!.initializer!.find((t) => t.name === "inv_scale")!;
          const b = Buffer.alloc(4);
          b.writeFloatLE(0.3, 0);
          s.rawData = b;
        }),
        /rescale 0\.3.* is not 2\^-S/,
      );
      refuse(
        editOnnx(ref, (m) => {
          const am = m.graph!.node!.find((n) => n.opType === "ArgMax")!;
          am.attribute!.find((a) => a.name === "select_last_index")!.i = 1;
        }),
        /ties -> lowest index/,
      );
      refuse(
        editOnnx(
          ref,
          (m) => (m.graph!.initializer!.find((t) => t.name === "W2")!.dataType = onnx.TensorProto.DataType.INT32),
        ),
        /must be an int8 initializer/,
      );
      // A layer so wide that float32 would round: refused from the shape alone.
      const wide: FamilyModel = {
        nIn: 4,
        layers: [
          { W: Array.from({ length: 600 }, () => [1, 1, 1, 1]), b: Array(600).fill(0), shift: 0 },
          { W: [Array(600).fill(1), Array(600).fill(1)], b: [0, 0] },
        ],
      };
      expect(() => buildFamilyOnnx(wide, { form: "gemm", name: "w" })).to.throw(FamilyError, /not exact in float32/);
    });

    it("commitments: Poseidon_n of the input up to 16 values, the chain beyond; the weights chain covers every parameter", function () {
      const x = randomInput(20);
      expect(commitInput(x)).to.equal(chainCommit(x));
      expect(commitInput(x.slice(0, 16))).to.not.equal(chainCommit(x.slice(0, 16)));
      expect(() => commitInput([1, 2, 200])).to.throw(FamilyError);
      const { model } = parseFamilyOnnx(readFileSync(recipeFile("iris-4x16x3", "model.onnx")));
      const c = weightsCommitment(model);
      const changed = structuredClone(model);
      changed.layers[1].b[2] += 1;
      expect(weightsCommitment(changed)).to.not.equal(c);
    });
  });

  for (const iris of IRIS) {
    describe(`${iris.recipe} (Iris, ${iris.form} layers)`, function () {
      const manifest = () => readJson(recipeFile(iris.recipe, "manifest.json"));
      const report = () => readJson(recipeFile(iris.recipe, "report.json"));

      it("the committed circuit, verifier and manifest are what the compiler makes of the committed ONNX file", async function () {
        const b = materializeBundle(iris.recipe); // checks every file's size and SHA-256
        const { model } = familyModelOf(b);
        expect(readFileSync(recipeFile(iris.recipe, "circuit.circom"), "utf8")).to.equal(
          generateCircom(model, b.manifest.name),
        );
        expect(b.manifest.zk!.weightsCommitment).to.equal(toBytes32(weightsCommitment(model)));
        const nOut = model.layers[model.layers.length - 1].W.length;
        expect(b.manifest.input.length).to.equal(4);
        expect(b.manifest.output.length).to.equal(nOut + 1);
        const naming = familyVerifierNaming(
          iris.contract,
          b.manifest.name,
          shapeName(model),
          `models/${iris.recipe}`,
          nOut,
        );
        const sol = readFileSync(path.join(REPO_ROOT, "contracts", "verifiers", `${iris.contract}.sol`), "utf8");
        expect(sol).to.equal(await exportVerifierSource(recipeFile(iris.recipe, "circuit.zkey"), naming));
        expect(report()).to.include({ shape: shapeName(model), weightsCommitment: b.manifest.zk!.weightsCommitment });
      });

      it("ONNX Runtime (the bundle's runtime settings) == the reference on the 30 test flowers and 300 random inputs; the recorded test accuracy", async function () {
        const b = readBundleDir(bundleDir(iris.recipe));
        const { model, input, logits, label } = familyModelOf(b);
        const flowers: number[][] = readJson(recipeFile(iris.recipe, "test-inputs.json"));
        const training = readJson(recipeFile(iris.recipe, "training.json"));
        const inputs = [...flowers, ...Array.from({ length: 300 }, () => randomInput(4))];
        const session = await createSession(b.files.model, b.manifest.runtime, b.source);
        try {
          const out = await runSession(session, {
            [input]: { dtype: "int8", dims: [inputs.length, 4], data: inputs.flat() },
          });
          const nOut = model.layers[model.layers.length - 1].W.length;
          inputs.forEach((x, n) => {
            const ref = forward(model, x);
            expect(Array.from((out[logits].data as Int32Array).subarray(n * nOut, (n + 1) * nOut))).to.deep.equal(
              ref.logits,
            );
            expect(Number((out[label].data as BigInt64Array)[n])).to.equal(ref.label);
          });
        } finally {
          await session.release();
        }
        const correct = flowers.filter((x, i) => forward(model, x).label === training.testLabels[i]).length;
        expect(flowers).to.have.length(30);
        expect(correct / 30).to.equal(training.accuracy.quantizedTest);
        expect(correct).to.be.greaterThanOrEqual(26); // >= 86.7 % of the held-out flowers
      });

      it("published as a ZK version: a node proves a typed request and the escrow settles it; verify gas measured", async function () {
        const f = await networkHelpers.loadFixture(fixture);
        const gw = new IpfsGateway();
        await gw.start();
        try {
          const b = readBundleDir(bundleDir(iris.recipe));
          const verifier = await ethers.deployContract(iris.contract, [], f.deployer);
          const cid = await gw.addDirectory(bundleFiles(b));
          await f.registry.connect(f.modelOwner).createModel(`ipfs://${cid}`);
          const modelId = await f.registry.modelCount();
          const v = await publishBundleVersion(f.registry, f.modelOwner, modelId, b.manifest, `ipfs://${cid}`, {
            modes: modeBit(Mode.ZK),
            zkVerifier: await verifier.getAddress(),
          });
          const client = await VeritasClient.connect(f.requester, {
            addresses: { escrow: await f.escrow.getAddress() },
          });
          const { model } = familyModelOf(b);
          const flowers: number[][] = readJson(recipeFile(iris.recipe, "test-inputs.json"));
          const labels: number[] = readJson(recipeFile(iris.recipe, "training.json")).testLabels;
          // The first held-out virginica the model classifies right.
          const flower = flowers.find((x, i) => labels[i] === 2 && forward(model, x).label === 2)!;
          const req = await requestTypedInference(client, {
            versionId: v,
            mode: Mode.ZK,
            payment: 1_000_000n,
            value: flower,
            gateways: [gw.url],
          });
          expect(req.job.inputDigest).to.equal(toBytes32(commitInput(flower)));
          const node = await makeNode(f, tempDir(), { models: [{ versionId: v }], gateways: [gw.url] });
          const t0 = Date.now();
          const [s] = await node.runOnce();
          const settleMs = Date.now() - t0;
          await node.stop();
          expect(s).to.include({ jobId: req.jobId, status: "settled", mode: "zk" });
          expect(await f.escrow.jobStatus(req.jobId)).to.equal(JobStatus.Settled);
          const r = await waitForTypedResult(client, req.jobId, req.manifest, { timeout: 5_000 });
          const value = r.value as { logits: bigint[]; label: bigint };
          expect(value.logits.map(Number)).to.deep.equal(forward(model, flower).logits);
          expect(value.label).to.equal(2n);

          // Gas of the generated verifier alone, on a fresh proof of the same statement shape.
          const runner = (await quantizedMlpPipeline.load(b)) as ZkPipelineRunner;
          try {
            const p = await runner.prove(new TextEncoder().encode(JSON.stringify(flower)), 99n);
            const { proveFamily } = await import("../../src/models/zk/prove.js");
            const full = await proveFamily(model, { wasm: b.files.wasm, zkey: b.files.zkey }, flower, 99n);
            expect(p.output).to.deep.equal(full.output);
            const c = full.calldata;
            expect(await verifier.getFunction("verifyProof")(c.pA, c.pB, c.pC, c.pubSignals)).to.equal(true);
            const bad = [...c.pubSignals];
            bad[bad.length - 1] = 100n; // another job tag
            expect(await verifier.getFunction("verifyProof")(c.pA, c.pB, c.pC, bad)).to.equal(false);
            const gas = await verifier.getFunction("verifyProof").estimateGas(c.pA, c.pB, c.pC, c.pubSignals);
            console.log(
              `      ${iris.recipe}: ${report().constraints} constraints, proof ${Math.round(full.provingMs)} ms (1 thread), ` +
                `verifyProof ${gas} gas as its own tx, node request->settled ${settleMs} ms`,
            );
            if (!UNDER_COVERAGE) expect(gas).to.be.lessThan(300_000n); // instrumented bytecode costs more
          } finally {
            await runner.release();
          }
        } finally {
          await gw.stop();
        }
      });
    });
  }
});
