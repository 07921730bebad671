/**
 * Deterministic, INSECURE powers of tau for tests (no randomness contributed: anyone can recompute the toxic waste):
 * `powersoftau new bn128 POWER` -> `powersoftau beacon` with a fixed public beacon -> prepare phase 2. The same bytes
 * on every machine, cached under zk/build/ptau/ (not committed). Shared by zk/scripts/setup.ts (the reference model)
 * and zk/scripts/compile.ts (any model of the quantized-MLP family).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import * as snarkjs from "snarkjs";
import { ZK_PATHS } from "./constants.js";

/** Public beacon of the ptau (sha256 of a fixed label); 2^BEACON_ITER_EXP SHA-256 iterations. */
export const PTAU_BEACON = createHash("sha256").update("veritas/zk/ptau-beacon/v1").digest("hex");
export const BEACON_ITER_EXP = 10;
export const PTAU_DIR = path.join(ZK_PATHS.build, "ptau");

export const ptauFinalPath = (power: number) => path.join(PTAU_DIR, `pot${power}_final.ptau`);

/** The smallest power p with 2^p >= the Groth16 domain of a circuit (constraints + public inputs + outputs + 1). */
export function smallestPower(domain: number): number {
  let p = 1;
  while (2 ** p < domain) p++;
  return p;
}

/** Builds zk/build/ptau/pot{power}_final.ptau unless present (or `force`); returns its path. */
export async function ensurePtau(power: number, logger?: snarkjs.Logger, force = false): Promise<string> {
  const final = ptauFinalPath(power);
  if (!force && existsSync(final)) return final;
  mkdirSync(PTAU_DIR, { recursive: true });
  const p0 = path.join(PTAU_DIR, `pot${power}_0000.ptau`);
  const pb = path.join(PTAU_DIR, `pot${power}_beacon.ptau`);
  const curve = await snarkjs.curves.getCurveFromName("bn128");
  const t = Date.now();
  const log = (s: string) => console.log(`  ptau 2^${power}: ${s} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
  await snarkjs.powersOfTau.newAccumulator(curve, power, p0, logger);
  log("new accumulator");
  await snarkjs.powersOfTau.beacon(p0, pb, "veritas insecure beacon", PTAU_BEACON, BEACON_ITER_EXP, logger);
  log("beacon");
  await snarkjs.powersOfTau.preparePhase2(pb, final, logger);
  log("phase 2 prepared");
  return final;
}
