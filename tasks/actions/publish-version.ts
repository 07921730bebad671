import { ZeroAddress, ZeroHash } from "ethers";
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
    const measurements = parseMeasurements(args.measurements);
    const ctx = await taskContext(args, hre);
    const { usd, vrt } = await suiteUnits(ctx);
    const royalty = usd.parse(args.royalty, "--royalty");
    const minCollateral = vrt.parse(args.minCollateral, "--min-collateral");
    const receipt = await ctx.client.send(() =>
      ctx.registry.publishVersion(args.modelId, {
        weightsDigest,
        ioSchemaDigest,
        artifactURI,
        royalty,
        minCollateral,
        modes: parseModes(args.modes),
        zkVerifier: args.zkVerifier ?? ZeroAddress,
        teeMeasurements: measurements,
      }),
    );
    for (const log of receipt.logs) {
      const parsed = ctx.registry.interface.parseLog(log);
      if (parsed?.name === "VersionPublished") {
        const versionId = BigInt(parsed.args.versionId);
        io.out(
          `Version ${versionId} of model ${args.modelId} published: royalty ${usd.format(royalty)}, ` +
            `min collateral ${vrt.format(minCollateral)}, modes ${args.modes} (tx ${receipt.hash})`,
        );
        return { versionId };
      }
    }
    throw new Error("no VersionPublished event");
  });
}
