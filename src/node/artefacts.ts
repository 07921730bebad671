/**
 * Model artefacts: the digests of an ONNX file that a version's registered `weightsDigest` may be, so a node runs
 * only the artefact that was published.
 */
import { readFileSync, statSync } from "node:fs";
import { keccak256 } from "ethers";
import { toBytes32, weightsCommitment } from "../../scripts/lib/zk/commitment.js";
import { parseOnnxWeights } from "../../scripts/lib/zk/onnx.js";

/** The digests of an ONNX artefact. */
export type ArtefactDigests = {
  /** keccak256 of the file's bytes. */
  keccak256: string;
  /** The Poseidon weights commitment of its initializers (reference-model graphs only; what ZK versions register). */
  weightsCommitment?: string;
};

const cache = new Map<string, { mtimeMs: number; size: number; digests: ArtefactDigests }>();

/** The digests of the ONNX file at `file` (cached until the file's size or mtime changes). */
export function artefactDigests(file: string): ArtefactDigests {
  const st = statSync(file);
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.digests;
  const bytes = readFileSync(file);
  const digests: ArtefactDigests = { keccak256: keccak256(bytes) };
  try {
    digests.weightsCommitment = toBytes32(weightsCommitment(parseOnnxWeights(bytes)));
  } catch {
    // Not the reference graph: only the byte digest applies.
  }
  cache.set(file, { mtimeMs: st.mtimeMs, size: st.size, digests });
  return digests;
}

/** Whether `registered` (a version's weightsDigest) is one of the digests of the artefact at `file`. */
export function artefactMatches(file: string, registered: string): boolean {
  const d = artefactDigests(file);
  const r = registered.toLowerCase();
  return d.keccak256 === r || d.weightsCommitment === r;
}
