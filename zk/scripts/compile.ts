/**
 * Bring your own ZK model: compiles an ONNX model of the quantized-MLP family (src/models/zk/family.ts: any number
 * of Gemm or MatMul+Add layers of any width over int8 inputs, ReLU with a power-of-two rescale, ArgMax) into a model
 * bundle that Veritas nodes serve and prove in the ZK mode:
 *
 *   1. parse the ONNX graph into the family (refused with the offending node named otherwise); weightsCommitment
 *      from the file's initializers
 *   2. generate the circom circuit (src/models/zk/circom.ts) -> circuit.circom; circom2 --O2 -> r1cs + circuit.wasm
 *   3. Groth16 setup on the smallest sufficient deterministic INSECURE powers of tau (zk/lib/ptau.ts, cached
 *      in zk/build/ptau/), zkey + public beacon -> circuit.zkey, checked against the r1cs and the ptau
 *   4. verification_key.json and the Solidity verifier contracts/verifiers/<Contract>.sol (snarkjs template)
 *   5. checks: ONNX Runtime == the TypeScript reference == the circuit witness on `--check N` inputs (deterministic
 *      pseudo-random int8 vectors plus `--vectors FILE`), one full proof verified with the verification key
 *   6. manifest.json (the bundle: every file's size and SHA-256, input/output schema, zk section) and report.json
 *      (constraints, wires, ptau power, times)
 *
 * The setup is a single-party ceremony whose only "randomness" is public: anyone can forge proofs for these
 * circuits. It reproduces byte for byte, which is what tests need; a production model needs a real ceremony.
 *
 * Usage: npm run zk:compile -- --onnx FILE --name veritas-iris-4x16x3 --contract Iris4x16x3Groth16Verifier
 *          [--out models/<dir>] [--vectors FILE.json] [--check 200] [--license MIT] [--model-version 1.0.0]
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import * as snarkjs from "snarkjs";
import { REPO_ROOT } from "../lib/constants.js";
import { sha256Stream } from "../lib/prng.js";
import { ensurePtau, PTAU_DIR, smallestPower } from "../lib/ptau.js";
import { releaseSnarkjs } from "../lib/snark.js";
import { exportVerifierSource, familyVerifierNaming } from "../lib/verifier-export.js";
import { circuitShape, generateCircom } from "../../src/models/zk/circom.js";
import {
  circuitInput,
  forward,
  fromField,
  shapeName,
  toBytes32,
  weightsCommitment,
} from "../../src/models/zk/family.js";
import { parseFamilyOnnx } from "../../src/models/zk/onnx.js";
import { proveFamily } from "../../src/models/zk/prove.js";

const { values: a } = parseArgs({
  options: {
    onnx: { type: "string" },
    name: { type: "string" },
    contract: { type: "string" },
    out: { type: "string" },
    vectors: { type: "string" },
    check: { type: "string", default: "200" },
    license: { type: "string", default: "MIT" },
    "model-version": { type: "string", default: "1.0.0" },
  },
});
if (!a.onnx || !a.name || !a.contract) {
  console.error("usage: npm run zk:compile -- --onnx FILE --name NAME --contract SolidityName [--out DIR]");
  process.exit(2);
}
if (!/^[A-Z][A-Za-z0-9]*$/.test(a.contract)) throw new Error(`--contract ${a.contract}: not a Solidity contract name`);
const OUT = path.resolve(REPO_ROOT, a.out ?? path.join("models", a.name.replace(/^veritas-/, "")));
const TMP = path.join(REPO_ROOT, "zk", "build", "tmp", path.basename(OUT));
const rel = (p: string) => path.relative(REPO_ROOT, p);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const logger: snarkjs.Logger = { debug: () => {}, info: () => {}, warn: console.warn, error: console.error };
const times: Record<string, number> = {};
async function step<T>(key: string, label: string, fn: () => Promise<T> | T): Promise<T> {
  const t0 = Date.now();
  process.stdout.write(`> ${label} ... `);
  const r = await fn();
  times[key] = (Date.now() - t0) / 1000;
  console.log(`${times[key].toFixed(1)} s`);
  return r;
}

// 1. parse
const onnxBytes = readFileSync(path.resolve(a.onnx));
const { model, input: inputName, logits: logitsName, label: labelName } = parseFamilyOnnx(onnxBytes);
const commitment = toBytes32(weightsCommitment(model));
const shape = circuitShape(model);
const nOut = model.layers[model.layers.length - 1].W.length;
console.log(
  `${a.name}: quantized MLP ${shapeName(model)}, ${shape.params} parameters, weightsCommitment ${commitment}`,
);
rmSync(TMP, { recursive: true, force: true });
mkdirSync(TMP, { recursive: true });
mkdirSync(OUT, { recursive: true });
if (path.resolve(a.onnx) !== path.join(OUT, "model.onnx"))
  copyFileSync(path.resolve(a.onnx), path.join(OUT, "model.onnx"));

// 2. circuit
const circom = generateCircom(model, a.name);
writeFileSync(path.join(OUT, "circuit.circom"), circom);
await step("compileSeconds", "circom2 --O2", () => {
  const cli = createRequire(import.meta.url).resolve("circom2/cli.js");
  const r = spawnSync(
    process.execPath,
    [cli, rel(path.join(OUT, "circuit.circom")), "--r1cs", "--wasm", "--O2", "-l", "node_modules", "-o", rel(TMP)],
    { cwd: REPO_ROOT, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`circom2 failed:\n${r.stdout}\n${r.stderr}`);
  copyFileSync(path.join(TMP, "circuit_js", "circuit.wasm"), path.join(OUT, "circuit.wasm"));
});
const r1cs = path.join(TMP, "circuit.r1cs");
const info = await snarkjs.r1cs.info(r1cs);
const domain = info.nConstraints + info.nPubInputs + info.nOutputs + 1;
const needed = smallestPower(domain);
// Groth16 works with any ptau of at least the needed power: reuse the smallest cached one, else build the needed one.
const cached = existsSync(PTAU_DIR)
  ? readdirSync(PTAU_DIR)
      .map((f) => /^pot(\d+)_final\.ptau$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .filter((p) => p >= needed)
      .sort((x, y) => x - y)
  : [];
const power = cached[0] ?? needed;
console.log(`  ${info.nConstraints} constraints, ${info.nVars} wires, domain ${domain} -> powers of tau 2^${power}`);

// 3. setup
const ptau = await step("ptauSeconds", `powers of tau 2^${power}${cached.length ? " (cached)" : " (~3 min)"}`, () =>
  ensurePtau(power, logger),
);
const zkey0 = path.join(TMP, "circuit_0000.zkey");
const zkey = path.join(OUT, "circuit.zkey");
const beacon = createHash("sha256").update(`veritas/zk/${a.name}-zkey-beacon/v1`).digest("hex");
await step("zkeySeconds", "zkey new + beacon", async () => {
  await snarkjs.zKey.newZKey(r1cs, ptau, zkey0, logger);
  await snarkjs.zKey.beacon(zkey0, zkey, "veritas insecure zkey beacon", beacon, 10, logger);
});
await step("zkeyVerifySeconds", "zkey verify (r1cs + ptau)", async () => {
  if (!(await snarkjs.zKey.verifyFromR1cs(r1cs, ptau, zkey, logger))) throw new Error("zkey verification failed");
});

// 4. verification key + Solidity verifier
const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
writeFileSync(path.join(OUT, "verification_key.json"), JSON.stringify(vkey, null, 1) + "\n");
const nPublic = nOut + 4;
const solPath = path.join(REPO_ROOT, "contracts", "verifiers", `${a.contract}.sol`);
writeFileSync(
  solPath,
  await exportVerifierSource(zkey, familyVerifierNaming(a.contract, a.name, shapeName(model), rel(OUT), nOut)),
);

// 5. checks
const rnd = sha256Stream(`veritas/zk/${a.name}/check-vectors/v1`);
const inputs: number[][] = Array.from({ length: Number(a.check) }, () =>
  Array.from({ length: model.nIn }, () => rnd() - 128),
);
if (a.vectors) inputs.push(...(JSON.parse(readFileSync(a.vectors, "utf8")) as number[][]));
await step("checkSeconds", `ONNX Runtime == reference == witness on ${inputs.length} inputs`, async () => {
  const session = await ort.InferenceSession.create(path.join(OUT, "model.onnx"), {
    executionProviders: ["cpu"],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  });
  const out = await session.run({
    [inputName]: new ort.Tensor("int8", Int8Array.from(inputs.flat()), [inputs.length, model.nIn]),
  });
  const wasm = { type: "mem" as const, data: readFileSync(path.join(OUT, "circuit.wasm")) };
  for (const [n, x] of inputs.entries()) {
    const ref = forward(model, x);
    const ortLogits = Array.from((out[logitsName].data as Int32Array).subarray(n * nOut, (n + 1) * nOut));
    const ortLabel = Number((out[labelName].data as BigInt64Array)[n]);
    if (JSON.stringify(ortLogits) !== JSON.stringify(ref.logits) || ortLabel !== ref.label)
      throw new Error(`input ${x}: ONNX Runtime ${ortLogits}/${ortLabel}, reference ${ref.logits}/${ref.label}`);
    if (n % 20 !== 0) continue; // the witness is slower: every 20th input
    const wtns = { type: "mem" as const };
    await snarkjs.wtns.calculate(circuitInput(model, x, 7n), wasm, wtns, { memorySize: 1 });
    const w = await snarkjs.wtns.exportJson(wtns);
    const got = w.slice(1, 1 + nOut + 1).map((v) => Number(fromField(v)));
    if (JSON.stringify(got) !== JSON.stringify([...ref.logits, ref.label]))
      throw new Error(`input ${x}: witness ${got}, reference ${ref.logits}/${ref.label}`);
  }
  await session.release();
});
const artefacts = { wasm: readFileSync(path.join(OUT, "circuit.wasm")), zkey: readFileSync(zkey) };
const proof = await step("proveSeconds", "one proof (single thread) + verify", async () => {
  const p = await proveFamily(model, artefacts, inputs[0], 12345n, { singleThread: true });
  const sig = p.calldata.pubSignals.map(String);
  const snark = {
    pi_a: [String(p.calldata.pA[0]), String(p.calldata.pA[1]), "1"],
    pi_b: [
      [String(p.calldata.pB[0][1]), String(p.calldata.pB[0][0])],
      [String(p.calldata.pB[1][1]), String(p.calldata.pB[1][0])],
      ["1", "0"],
    ],
    pi_c: [String(p.calldata.pC[0]), String(p.calldata.pC[1]), "1"],
    protocol: "groth16",
    curve: "bn128",
  };
  if (!(await snarkjs.groth16.verify(vkey, sig, snark as unknown as snarkjs.Groth16Proof)))
    throw new Error("the proof does not verify");
  return p;
});

// 6. bundle manifest + report
const file = (p: string) => {
  const b = readFileSync(path.join(OUT, p));
  return { path: p, size: b.length, sha256: sha256(b) };
};
const manifest = {
  format: "veritas-bundle/1",
  name: a.name,
  modelVersion: a["model-version"],
  license: a.license,
  pipeline: "quantized-mlp",
  runtime: {
    name: "onnxruntime-node",
    version: (createRequire(import.meta.url)("onnxruntime-node/package.json") as { version: string }).version,
    executionProvider: "cpu",
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  },
  files: {
    model: file("model.onnx"),
    wasm: file("circuit.wasm"),
    zkey: file("circuit.zkey"),
    vkey: file("verification_key.json"),
  },
  input: {
    kind: "int8-vector",
    length: model.nIn,
    maxBytes: 64 + 5 * model.nIn,
    description: `JSON array of ${model.nIn} int8 values, or {"input":[...]}`,
  },
  output: {
    kind: "int256-array",
    length: nOut + 1,
    description: `abi.encode(int256[] [logit0, ..., logit${nOut - 1}, label])`,
  },
  zk: { system: "groth16-bn254", wasm: "wasm", zkey: "zkey", verificationKey: "vkey", weightsCommitment: commitment },
};
writeFileSync(path.join(OUT, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
const report = {
  name: a.name,
  shape: shape.shape,
  layers: model.layers.map((l, i) => ({
    in: l.W[0].length,
    out: l.W.length,
    zBits: shape.zBits[i],
    shift: l.shift ?? null,
  })),
  parameters: shape.params,
  weightsCommitment: commitment,
  constraints: info.nConstraints,
  wires: info.nVars,
  publicSignals: nPublic,
  ptauPower: power,
  verifierContract: a.contract,
  checkedInputs: inputs.length,
  provingMsSingleThread: Math.round(proof.provingMs),
  seconds: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Number(v.toFixed(1))])),
  bytes: Object.fromEntries(Object.entries(manifest.files).map(([k, f]) => [k, f.size])),
  toolchain: "circom2 (circom 2.2.3) --O2, snarkjs 0.7.6, onnxruntime-node " + manifest.runtime.version,
};
writeFileSync(path.join(OUT, "report.json"), JSON.stringify(report, null, 2) + "\n");
console.log(
  `\nbundle ${rel(OUT)}/ (${Object.values(manifest.files).reduce((s, f) => s + f.size, 0)} bytes), verifier ${rel(solPath)}`,
);
console.log(
  `  ${info.nConstraints} constraints, ${info.nVars} wires, 2^${power} ptau, proof ${report.provingMsSingleThread} ms (1 thread)`,
);
rmSync(TMP, { recursive: true, force: true });
await releaseSnarkjs();
