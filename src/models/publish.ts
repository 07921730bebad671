/**
 * Publishing a bundle as a model version: the registry's weights and I/O schema digests come from the manifest by the
 * one rule of `versionDigests`, the artefact URI is where nodes fetch the bundle (normally `ipfs://CID`).
 */
import { ZeroAddress, type Signer, type TransactionReceipt } from "ethers";
import type { ModelRegistry } from "../../typechain-types/index.js";
import { versionDigests } from "./bundle.js";
import type { Manifest } from "./types.js";

/** What a version adds to its bundle: the modes (bit mask), royalty, collateral, ZK verifier and enclave images. */
export type VersionTerms = {
  modes: number;
  royalty?: bigint;
  minCollateral?: bigint;
  zkVerifier?: string;
  teeMeasurements?: string[];
};

/** The registry's `publishVersion` parameters for `manifest` served at `artifactURI`. */
export function versionParams(manifest: Manifest, artifactURI: string, terms: VersionTerms) {
  const d = versionDigests(manifest);
  return {
    weightsDigest: d.weightsDigest,
    ioSchemaDigest: d.ioSchemaDigest,
    artifactURI,
    royalty: terms.royalty ?? 0n,
    minCollateral: terms.minCollateral ?? 0n,
    modes: terms.modes,
    zkVerifier: terms.zkVerifier ?? ZeroAddress,
    teeMeasurements: terms.teeMeasurements ?? [],
  };
}

/** The id a `VersionPublished` log of `receipt` records (throws if the receipt has none). */
export function publishedVersionId(registry: ModelRegistry, receipt: TransactionReceipt | null): bigint {
  for (const log of receipt?.logs ?? []) {
    const parsed = registry.interface.parseLog(log);
    if (parsed?.name === "VersionPublished") return BigInt(parsed.args.versionId);
  }
  throw new Error("the transaction has no VersionPublished event");
}

/** Publishes `manifest` (served at `artifactURI`) as a new version of `modelId` and returns the version id. */
export async function publishBundleVersion(
  registry: ModelRegistry,
  owner: Signer,
  modelId: bigint,
  manifest: Manifest,
  artifactURI: string,
  terms: VersionTerms,
): Promise<bigint> {
  const tx = await registry.connect(owner).publishVersion(modelId, versionParams(manifest, artifactURI, terms));
  return publishedVersionId(registry, await tx.wait());
}
