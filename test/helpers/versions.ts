import { id, ZeroAddress } from "ethers";
import type { IModelRegistry } from "../../typechain-types/index.js";
import { Mode, modeBit } from "./constants.js";

export const TEE_BIT = modeBit(Mode.TEE);
export const ZK_BIT = modeBit(Mode.ZK);
export const OPTIMISTIC_BIT = modeBit(Mode.OPTIMISTIC);

/** A valid TEE-only version record; override any field. */
export function versionParams(o: Partial<IModelRegistry.VersionParamsStruct> = {}): IModelRegistry.VersionParamsStruct {
  return {
    weightsDigest: id("weights"),
    ioSchemaDigest: id("schema"),
    artifactURI: "ipfs://artifact",
    royalty: 50_000n,
    minCollateral: 100n * 10n ** 18n,
    modes: TEE_BIT,
    zkVerifier: ZeroAddress,
    teeMeasurements: [id("measurement")],
    ...o,
  };
}
