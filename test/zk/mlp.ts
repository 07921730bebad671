import { expect } from "chai";
import { readFileSync } from "node:fs";
import { keccak256, toUtf8Bytes } from "ethers";
import { network } from "hardhat";
import { poseidon16, poseidon8 } from "poseidon-lite";
import * as snarkjs from "snarkjs";
import { FIELD_R, N_PUBLIC, ZK_PATHS } from "../../zk/lib/constants.js";
import {
  fromField,
  inputCommitment,
  toField,
  weightsCommitment,
  weightsCommitmentFromOnnx,
} from "../../zk/lib/commitment.js";
import { readOnnxWeights, releaseOnnxSession, runOnnxBatch } from "../../zk/lib/onnx.js";
import {
  buildCircuitInput,
  computePublicSignals,
  decodeOutput,
  encodeOutput,
  proveInference,
  publicSignalsFor,
  type ProveResult,
} from "../../zk/lib/prover.js";
import { forward, loadWeightsJson } from "../../zk/lib/reference.js";
import { releaseSnarkjs } from "../../zk/lib/snark.js";
import { exportVerifierSource, VERIFIER_CONTRACT_NAME } from "../../zk/lib/verifier-export.js";

type Vector = { kind: string; x: number[]; logits: number[]; label: number };
const vectors: Vector[] = JSON.parse(readFileSync(ZK_PATHS.vectors, "utf8")).vectors;
/** The commitment chain without the int8/int16 range validation (to build out-of-range test inputs). */
function weightsCommitmentUnchecked(w: { W1: number[][]; b1: number[]; W2: number[][]; b2: number[] }): bigint {
  const v = [...w.W1.flat(), ...w.b1, ...w.W2.flat(), ...w.b2].map((x) => toField(x));
  while (v.length % 15 !== 0) v.push(0n);
  let c = 99n;
  for (let off = 0; off < v.length; off += 15) c = poseidon16([c, ...v.slice(off, off + 15)]);
  return c;
}
const vk = JSON.parse(readFileSync(ZK_PATHS.vkey, "utf8"));

describe("ZK reference model (MLP 8x8x3, Groth16)", function () {
  this.timeout(60_000);

  after(async () => {
    await releaseSnarkjs();
    await releaseOnnxSession();
  });

  it("ONNX initializers equal weights.json; the commitment is computed from the ONNX file", () => {
    const j = loadWeightsJson();
    const o = readOnnxWeights();
    expect(o).to.deep.equal({ W1: j.W1, b1: j.b1, W2: j.W2, b2: j.b2 });
    expect(weightsCommitmentFromOnnx()).to.equal(weightsCommitment(o));
    expect(weightsCommitmentUnchecked(o)).to.equal(weightsCommitment(o)); // independent re-implementation
    // A changed parameter changes the commitment.
    const o2 = structuredClone(o);
    o2.b2[2] += 1;
    expect(weightsCommitment(o2)).to.not.equal(weightsCommitment(o));
  });

  it("vector set has 100 inputs incl. ties at the max for every pair and negative logits", () => {
    expect(vectors).to.have.length(100);
    const w = readOnnxWeights();
    for (const [a, b] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ]) {
      const ties = vectors.filter((v) => {
        const l = forward(w, v.x).logits;
        return l[a] === l[b] && l[a] === Math.max(...l);
      });
      expect(ties.length, `ties ${a},${b}`).to.be.greaterThanOrEqual(2);
      for (const t of ties) expect(forward(w, t.x).label).to.equal(a); // lowest index wins
    }
    expect(vectors.filter((v) => v.logits.some((l) => l < 0)).length).to.be.greaterThan(20);
    expect(vectors.some((v) => v.logits.every((l) => l < 0))).to.equal(true);
  });

  it("ONNX Runtime, the TS reference and the circuit witness agree on all 100 vectors", async () => {
    const w = readOnnxWeights();
    const wc = weightsCommitmentFromOnnx();
    const ort = await runOnnxBatch(vectors.map((v) => v.x));
    for (const [n, v] of vectors.entries()) {
      const ref = forward(w, v.x);
      const ctx = `vector ${n} (${v.kind}) x=${JSON.stringify(v.x)}`;
      expect(ref.logits, ctx).to.deep.equal(v.logits);
      expect(ref.label, ctx).to.equal(v.label);
      expect(ort[n].logits, `ORT ${ctx}`).to.deep.equal(ref.logits);
      expect(ort[n].label, `ORT ${ctx}`).to.equal(ref.label);

      const jobTag = BigInt(n + 1);
      const pub = await computePublicSignals(v.x, jobTag);
      expect(pub).to.have.length(N_PUBLIC);
      expect(
        pub.slice(0, 3).map((s) => Number(fromField(s))),
        `circuit ${ctx}`,
      ).to.deep.equal(ref.logits);
      expect(Number(pub[3]), `circuit label ${ctx}`).to.equal(ref.label);
      expect(pub[4], "weightsCommitment public signal").to.equal(wc);
      expect(pub[5], "inputCommitment public signal").to.equal(inputCommitment(v.x));
      expect(pub[6]).to.equal(jobTag);
    }
  });

  it("the witness generator refuses a wrong commitment or an out-of-range input", async () => {
    const good = [1, 2, 3, 4, 5, 6, 7, 8];
    const input = buildCircuitInput(good, 1n);
    const wtns = (i: Record<string, unknown>) =>
      snarkjs.wtns.calculate(i, ZK_PATHS.wasm, { type: "mem" }, { memorySize: 1 });
    const fails = async (i: Record<string, unknown>) => {
      // The witness generator prints "ERROR: 4 Error in template ..." before throwing: keep it quiet.
      const { log, error } = console;
      console.log = console.error = () => {};
      let threw = false;
      try {
        await wtns(i);
      } catch {
        threw = true;
      } finally {
        Object.assign(console, { log, error });
      }
      expect(threw).to.equal(true);
    };
    await wtns(input); // the honest input is accepted
    await fails({ ...input, weightsCommitment: "1" });
    await fails({ ...input, inputCommitment: "1" });
    // x[0] = 128 is not int8: rejected by the range check even with a matching input commitment.
    const x = [128, ...good.slice(1)];
    await fails({ ...input, x: x.map((v) => v.toString()), inputCommitment: poseidon8(x.map(BigInt)).toString() });
    // Same for a weight outside int8.
    const W1 = structuredClone(input.W1) as string[][];
    W1[0][0] = "200";
    const o = readOnnxWeights();
    o.W1[0][0] = 200;
    const bypass = { ...input, W1, weightsCommitment: weightsCommitmentUnchecked(o).toString() };
    await fails(bypass);
  });

  describe("proof", () => {
    let proof: ProveResult;
    // A job tag as the escrow derives it: keccak256(...) mod r.
    const jobTag = BigInt(keccak256(toUtf8Bytes("veritas test job 1"))) % FIELD_R;
    const input = vectors.find((v) => v.kind === "all-negative")!.x;

    before(async () => {
      proof = await proveInference({ input, jobTag });
      const warm = await proveInference({ input, jobTag: jobTag + 1n });
      console.log(`      proving time: first ${proof.provingMs.toFixed(0)} ms, warm ${warm.provingMs.toFixed(0)} ms`);
    });

    it("has the documented public signals and output encoding", () => {
      const ref = forward(readOnnxWeights(), input);
      expect(proof.logits).to.deep.equal(ref.logits);
      expect(proof.label).to.equal(ref.label);
      const expected = publicSignalsFor(
        ref.logits,
        ref.label,
        weightsCommitmentFromOnnx(),
        inputCommitment(input),
        jobTag,
      );
      expect(proof.publicSignals.map(BigInt)).to.deep.equal(expected);
      expect(proof.calldata.pubSignals).to.deep.equal(expected);
      // Negative logits are r - |v|.
      expect(ref.logits.every((l) => l < 0)).to.equal(true);
      expect(BigInt(proof.publicSignals[0])).to.equal(FIELD_R + BigInt(ref.logits[0]));
      // Output bytes round-trip to the same public signals (what the escrow does on chain).
      const out = decodeOutput(encodeOutput(proof.logits, proof.label));
      expect(publicSignalsFor(out.logits, out.label, expected[4], expected[5], jobTag)).to.deep.equal(expected);
    });

    it("verifies with snarkjs against the committed verification key; tampering fails", async () => {
      expect(vk.nPublic).to.equal(N_PUBLIC);
      expect(await snarkjs.groth16.verify(vk, proof.publicSignals, proof.proof)).to.equal(true);
      const tampered = [...proof.publicSignals];
      tampered[0] = toField(fromField(tampered[0]) + 1n).toString();
      expect(await snarkjs.groth16.verify(vk, tampered, proof.proof)).to.equal(false);
    });

    it("verifies on chain with MlpGroth16Verifier; tampered logit, label, job tag or input commitment fail", async () => {
      const { ethers } = await network.create();
      const verifier = await ethers.deployContract(VERIFIER_CONTRACT_NAME);
      const { pA, pB, pC, pubSignals } = proof.calldata;
      expect(await verifier.verifyProof(pA, pB, pC, pubSignals)).to.equal(true);

      const gas = await verifier.verifyProof.estimateGas(pA, pB, pC, pubSignals);
      const [signer] = await ethers.getSigners();
      const data = verifier.interface.encodeFunctionData("verifyProof", [pA, pB, pC, pubSignals]);
      const receipt = await (await signer.sendTransaction({ to: await verifier.getAddress(), data })).wait();
      const bytes = Buffer.from(data.slice(2), "hex");
      const intrinsic = 21000n + BigInt(bytes.reduce((g, b) => g + (b === 0 ? 4 : 16), 0));
      console.log(
        `      verifyProof gas: estimateGas ${gas}, receipt gasUsed ${receipt!.gasUsed} ` +
          `(of which intrinsic 21000 + calldata = ${intrinsic}; execution ~${receipt!.gasUsed - intrinsic})`,
      );
      expect(receipt!.status).to.equal(1);

      for (const i of [0, 3, 5, 6]) {
        const t = [...pubSignals];
        t[i] = (t[i] + 1n) % FIELD_R;
        expect(await verifier.verifyProof(pA, pB, pC, t), `tampered signal ${i}`).to.equal(false);
      }
      // Non-canonical encoding (v + r) is rejected by the field check, not accepted as v.
      const nc = [...pubSignals];
      nc[6] = nc[6] + FIELD_R;
      expect(await verifier.verifyProof(pA, pB, pC, nc)).to.equal(false);
    });
  });

  it("re-exporting the Solidity verifier from the committed zkey reproduces the committed file", async () => {
    const committed = readFileSync(ZK_PATHS.solidityVerifier, "utf8");
    expect(await exportVerifierSource(ZK_PATHS.zkey)).to.equal(committed);
    expect(committed.startsWith("// SPDX-License-Identifier: GPL-3.0\n")).to.equal(true);
    expect(committed).to.contain(`contract ${VERIFIER_CONTRACT_NAME} {`);
    // The committed verification key is the zkey's.
    const fromZkey = await snarkjs.zKey.exportVerificationKey(ZK_PATHS.zkey);
    expect(JSON.parse(JSON.stringify(fromZkey))).to.deep.equal(vk);
  });
});
