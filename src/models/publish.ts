/**
 * Publishing a bundle as a model version: the registry's weights and I/O schema digests come from the manifest by the
 * one rule of `versionDigests`, the artefact URI is where nodes fetch the bundle (normally `ipfs://CID`).
 */
import { ZeroAddress, type Signer } from "ethers";
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

/** Publishes `manifest` (served at `artifactURI`) as a new version of `modelId` and returns the version id. */
export async function publishBundleVersion(
  registry: ModelRegistry,
  owner: Signer,
  modelId: bigint,
  manifest: Manifest,
  artifactURI: string,
  terms: VersionTerms,
): Promise<bigint> {
  const d = versionDigests(manifest);
  await (
    await registry.connect(owner).publishVersion(modelId, {
      weightsDigest: d.weightsDigest,
      ioSchemaDigest: d.ioSchemaDigest,
      artifactURI,
      royalty: terms.royalty ?? 0n,
      minCollateral: terms.minCollateral ?? 0n,
      modes: terms.modes,
      zkVerifier: terms.zkVerifier ?? ZeroAddress,
      teeMeasurements: terms.teeMeasurements ?? [],
    })
  ).wait();
  return registry.versionCount();
}
