/**
 * Compiles the circuit and runs a deterministic, INSECURE, single-party Groth16 setup (test only):
 *
 *   1. circom2 --O2 zk/circuits/mlp.circom -> zk/build/mlp.r1cs, zk/build/mlp.wasm
 *   2. powers of tau 2^13 (smallest power that fits): new accumulator (no random contribution)
 *      -> `powersoftau beacon` with a fixed public beacon -> prepare phase 2
 *      (ptau files go to zk/build/ptau/, not committed; reused if present unless --force-ptau)
 *   3. zkey new -> `zkey beacon` with a fixed public beacon -> zk/build/mlp_final.zkey
 *   4. zk/build/verification_key.json, contracts/verifiers/MlpGroth16Verifier.sol, zk/build/SHA256SUMS
 *   5. checks: zkey verified against r1cs + ptau, a witness checked against the r1cs.
 *
 * Nobody contributed randomness: anyone can recompute the toxic waste from the beacons and forge
 * proofs. The artefacts reproduce byte for byte, which is the point for tests; a production model
 * needs a real multi-party ceremony (e.g. a public Perpetual Powers of Tau file plus phase-2 contributions).
 *
 * Usage: npx tsx zk/scripts/setup.ts [--force-ptau] [--skip-compile]
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as snarkjs from "snarkjs";
import { REPO_ROOT, ZK_PATHS } from "../lib/constants.js";
import { exportVerifierSource } from "../lib/verifier-export.js";
import { releaseSnarkjs } from "../lib/snark.js";
import { BEACON_ITER_EXP, ensurePtau, ptauFinalPath, PTAU_DIR } from "../lib/ptau.js";
import { buildCircuitInput } from "../lib/prover.js";

const POWER = 13;
/** Public beacon of the zkey (sha256 of a fixed label); 2^BEACON_ITER_EXP SHA-256 iterations. */
const ZKEY_BEACON = createHash("sha256").update("veritas/zk/mlp-zkey-beacon/v1").digest("hex");

const args = new Set(process.argv.slice(2));
const B = ZK_PATHS.build;
const TMP = path.join(B, "tmp");
const ptau0 = path.join(PTAU_DIR, `pot${POWER}_0000.ptau`);
const ptauBeacon = path.join(PTAU_DIR, `pot${POWER}_beacon.ptau`);
const zkey0 = path.join(TMP, "mlp_0000.zkey");

const logger: snarkjs.Logger = {
  debug: () => {},
  info: (...a) => console.log("  [snarkjs]", ...a),
  warn: (...a) => console.warn("  [snarkjs]", ...a),
  error: (...a) => console.error("  [snarkjs]", ...a),
};

const rel = (p: string) => path.relative(REPO_ROOT, p);
const sha256File = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  console.log(`> ${name}`);
  const r = await fn();
  console.log(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return r;
}

mkdirSync(TMP, { recursive: true });

// 1. compile
if (!args.has("--skip-compile")) {
  await step("circom2 --O2 (compile)", async () => {
    const require = createRequire(import.meta.url);
    const cli = require.resolve("circom2/cli.js");
    const r = spawnSync(
      process.execPath,
      [cli, rel(ZK_PATHS.circuit), "--r1cs", "--wasm", "--O2", "-l", "node_modules", "-o", rel(TMP)],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
    process.stdout.write(r.stdout.replace(/\x1b\[[0-9;]*m/g, "").replace(/^/gm, "  "));
    if (r.status !== 0) throw new Error(`circom2 failed: ${r.stderr}`);
    copyFileSync(path.join(TMP, "mlp.r1cs"), ZK_PATHS.r1cs);
    copyFileSync(path.join(TMP, "mlp_js", "mlp.wasm"), ZK_PATHS.wasm);
  });
}
const info = await snarkjs.r1cs.info(ZK_PATHS.r1cs);
const domain = info.nConstraints + info.nPubInputs + info.nOutputs + 1;
console.log(
  `  constraints: ${info.nConstraints}, wires: ${info.nVars}, domain needs ${domain} <= 2^${POWER} = ${2 ** POWER}`,
);
if (domain > 2 ** POWER || domain <= 2 ** (POWER - 1))
  throw new Error(`2^${POWER} is not the smallest sufficient power`);

// 2. powers of tau
const ptauFinal = ptauFinalPath(POWER);
if (args.has("--force-ptau") || !existsSync(ptauFinal)) {
  await step(`powers of tau 2^${POWER} (slow: ~3-4 min on 2 cores)`, () => ensurePtau(POWER, logger, true));
} else {
  console.log(`> reusing ${rel(ptauFinal)} (pass --force-ptau to rebuild)`);
}

// 3. zkey
await step("zkey new (groth16 setup)", () => snarkjs.zKey.newZKey(ZK_PATHS.r1cs, ptauFinal, zkey0, logger));
await step("zkey beacon", () =>
  snarkjs.zKey.beacon(zkey0, ZK_PATHS.zkey, "veritas insecure zkey beacon", ZKEY_BEACON, BEACON_ITER_EXP, logger),
);
await step("zkey verify (against r1cs and ptau)", async () => {
  if (!(await snarkjs.zKey.verifyFromR1cs(ZK_PATHS.r1cs, ptauFinal, ZK_PATHS.zkey, logger))) {
    throw new Error("zkey verification failed");
  }
});

// 4. verification key + Solidity verifier
const vk = await snarkjs.zKey.exportVerificationKey(ZK_PATHS.zkey);
writeFileSync(ZK_PATHS.vkey, JSON.stringify(vk, null, 1) + "\n");
mkdirSync(path.dirname(ZK_PATHS.solidityVerifier), { recursive: true });
writeFileSync(ZK_PATHS.solidityVerifier, await exportVerifierSource(ZK_PATHS.zkey));

// 5. witness check on a sample input
await step("witness check", async () => {
  const wtns = { type: "mem" as const };
  await snarkjs.wtns.calculate(buildCircuitInput([1, -2, 3, -4, 5, -6, 7, -8], 42n), ZK_PATHS.wasm, wtns);
  if (!(await snarkjs.wtns.check(ZK_PATHS.r1cs, wtns, logger))) throw new Error("witness does not satisfy the r1cs");
});

// Manifest of the artefacts (the ptau is not committed: its hash is recorded so a rebuild can be compared).
const files = [
  ZK_PATHS.onnx,
  ZK_PATHS.r1cs,
  ZK_PATHS.wasm,
  ZK_PATHS.zkey,
  ZK_PATHS.vkey,
  ZK_PATHS.solidityVerifier,
  ptauFinal,
];
const manifest = files.map((f) => `${sha256File(f)}  ${rel(f)}`).join("\n") + "\n";
writeFileSync(path.join(B, "SHA256SUMS"), manifest);
console.log("\nartefacts:");
for (const f of files)
  console.log(`  ${rel(f).padEnd(50)} ${String(statSync(f).size).padStart(10)} bytes  ${sha256File(f).slice(0, 16)}`);
console.log(
  `\nptau intermediates (not committed): ${[ptau0, ptauBeacon]
    .filter((f) => existsSync(f))
    .map((f) => `${rel(f)} ${statSync(f).size} bytes`)
    .join(", ")}`,
);

rmSync(TMP, { recursive: true, force: true });
await releaseSnarkjs();
