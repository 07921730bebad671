import { ZeroAddress, ZeroHash } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import {
  formatAmount,
  io,
  parseAmount,
  parseModes,
  requireBytes32,
  requireOption,
  runTask,
  taskContext,
  UsageError,
  type CommonArgs,
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
    const measurements = (args.measurements ?? "")
      .split(",")
      .map((m) => m.trim())
      .filter(Boolean)
      .map((m) => requireBytes32(m, "--measurements"));
    const ctx = await taskContext(args, hre);
    const usd = await ctx.client.paymentToken();
    const [usdDecimals, usdSymbol] = [(await usd.decimals()) as bigint, (await usd.symbol()) as string];
    const vrt = await ctx.stakingToken();
    const [vrtDecimals, vrtSymbol] = [await vrt.decimals(), await vrt.symbol()];
    const royalty = parseAmount(args.royalty, usdDecimals, "--royalty");
    const minCollateral = parseAmount(args.minCollateral, vrtDecimals, "--min-collateral");
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
          `Version ${versionId} of model ${args.modelId} published: royalty ${formatAmount(royalty, usdDecimals, usdSymbol)}, ` +
            `min collateral ${formatAmount(minCollateral, vrtDecimals, vrtSymbol)}, modes ${args.modes} (tx ${receipt.hash})`,
        );
        return { versionId };
      }
    }
    throw new Error("no VersionPublished event");
  });
}
