/**
 * Groth16 proofs of a quantized-MLP family model (family.ts) from a bundle's witness generator and proving key
 * (bytes, e.g. fetched and digest-checked from ipfs://), with snarkjs loaded on first use.
 */
import { AbiCoder, getBytes } from "ethers";
import type { ProofPoints } from "../../zk.js";
import { circuitInput, encodeOutput, forward, fromField, type FamilyModel } from "./family.js";

/** Arguments of the generated verifier's verifyProof(pA, pB, pC, pubSignals). */
export interface Groth16Calldata extends ProofPoints {
  pubSignals: bigint[];
}

export interface FamilyProof {
  logits: number[];
  label: number;
  /** The escrow's output bytes: abi.encode(int256[] [...logits, label]). */
  output: Uint8Array;
  /** The escrow's proof bytes: abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c). */
  proof: Uint8Array;
  calldata: Groth16Calldata;
  /** Witness + proof time, ms. */
  provingMs: number;
}

type SnarkProof = { pi_a: string[]; pi_b: string[][]; pi_c: string[] };

/** verifyProof arguments; G2 coordinates swapped (c1, c0) as the EVM pairing precompile expects. */
export function groth16Calldata(p: SnarkProof, publicSignals: readonly (string | bigint)[]): Groth16Calldata {
  const b = BigInt;
  return {
    pA: [b(p.pi_a[0]), b(p.pi_a[1])],
    pB: [
      [b(p.pi_b[0][1]), b(p.pi_b[0][0])],
      [b(p.pi_b[1][1]), b(p.pi_b[1][0])],
    ],
    pC: [b(p.pi_c[0]), b(p.pi_c[1])],
    pubSignals: publicSignals.map((s) => BigInt(s)),
  };
}

/** The escrow's proof bytes. */
export function encodeGroth16Proof(c: Pick<Groth16Calldata, "pA" | "pB" | "pC">): Uint8Array {
  return getBytes(AbiCoder.defaultAbiCoder().encode(["uint256[2]", "uint256[2][2]", "uint256[2]"], [c.pA, c.pB, c.pC]));
}

/**
 * circom-2 witness generators bring their own memory; circom_runtime would otherwise allocate 2 GiB per witness.
 */
const WTNS_OPTIONS = { memorySize: 1 };

/**
 * Proves `forward(model, x)` for `jobTag`. Throws if the circuit's outputs differ from the reference (a wasm that is
 * not this model's circuit).
 */
export async function proveFamily(
  model: FamilyModel,
  artefacts: { wasm: Uint8Array; zkey: Uint8Array },
  x: readonly number[],
  jobTag: bigint,
  opts: { singleThread?: boolean } = {},
): Promise<FamilyProof> {
  const expected = forward(model, x);
  const snarkjs = await import("snarkjs");
  const t0 = performance.now();
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(
    circuitInput(model, x, jobTag),
    { type: "mem", data: artefacts.wasm },
    { type: "mem", data: artefacts.zkey },
    undefined,
    WTNS_OPTIONS,
    { singleThread: opts.singleThread ?? true },
  );
  const provingMs = performance.now() - t0;
  const n = expected.logits.length;
  const logits = publicSignals.slice(0, n).map((s) => Number(fromField(s)));
  const label = Number(publicSignals[n]);
  if (JSON.stringify(logits) !== JSON.stringify(expected.logits) || label !== expected.label)
    throw new Error(
      `circuit output ${logits}/${label} differs from the reference ${expected.logits}/${expected.label}`,
    );
  const calldata = groth16Calldata(proof, publicSignals);
  return {
    logits,
    label,
    output: encodeOutput(logits, label),
    proof: encodeGroth16Proof(calldata),
    calldata,
    provingMs,
  };
}
