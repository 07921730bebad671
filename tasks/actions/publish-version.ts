import { ZeroHash } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import {
  type CommonArgs,
  io,
  parseMeasurements,
  parseModes,
  requireBytes32,
  requireOption,
  runTask,
  suiteUnits,
  taskContext,
  UsageError,
} from "../lib.js";

type Args = CommonArgs & {
  modelId: bigint;
  weightsDigest: string | undefined;
  ioSchemaDigest: string | undefined;
  artifactUri: string | undefined;
  royalty: string;
  minCollateral: string;
  modes: string;
  zkVerifier: string | undefined;
  measurements: string | undefined;
};

/** `veritas publish-version`: publishes an immutable version of a model the signer owns. */
export default async function publishVersion(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    if (args.modelId <= 0n) throw new UsageError("--model-id is required");
    const weightsDigest = requireBytes32(args.weightsDigest, "--weights-digest");
    const ioSchemaDigest = args.ioSchemaDigest ? requireBytes32(args.ioSchemaDigest, "--io-schema-digest") : ZeroHash;
    const artifactURI = requireOption(args.artifactUri, "--artifact-uri");
    const modes = parseModes(args.modes);
    const measurements = parseMeasurements(args.measurements);
    const ctx = await taskContext(args, hre);
    const { usd, vrt } = await suiteUnits(ctx);
    const royalty = usd.parse(args.royalty, "--royalty");
    const minCollateral = vrt.parse(args.minCollateral, "--min-collateral");
    const { versionId, transactionHash } = await ctx.client.modelOwner.publishVersion(args.modelId, {
      weightsDigest,
      ioSchemaDigest,
      artifactURI,
      royalty,
      minCollateral,
      modes,
      zkVerifier: args.zkVerifier,
      teeMeasurements: measurements,
    });
    io.out(
      `Version ${versionId} of model ${args.modelId} published: royalty ${usd.format(royalty)}, ` +
        `min collateral ${vrt.format(minCollateral)}, modes ${args.modes} (tx ${transactionHash})`,
    );
    return { versionId };
  });
}
