import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { io, requireOption, runTask, taskContext, type CommonArgs } from "../lib.js";

type Args = CommonArgs & { metadataUri: string | undefined };

/** `veritas register-model`: mints a model token to the signer. */
export default async function registerModel(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const uri = requireOption(args.metadataUri, "--metadata-uri");
    const ctx = await taskContext(args, hre);
    const { modelId, owner, transactionHash } = await ctx.client.modelOwner.createModel(uri);
    io.out(`Model ${modelId} created, owner ${owner} (tx ${transactionHash})`);
    return { modelId };
  });
}
