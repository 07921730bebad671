import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { io, requireOption, runTask, taskContext, type CommonArgs } from "../lib.js";

type Args = CommonArgs & { metadataUri: string | undefined };

/** `veritas register-model`: mints a model token to the signer. */
export default async function registerModel(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const uri = requireOption(args.metadataUri, "--metadata-uri");
    const ctx = await taskContext(args, hre);
    const receipt = await ctx.client.send(() => ctx.registry.createModel(uri));
    for (const log of receipt.logs) {
      const parsed = ctx.registry.interface.parseLog(log);
      if (parsed?.name === "ModelCreated") {
        const modelId = BigInt(parsed.args.modelId);
        io.out(`Model ${modelId} created, owner ${parsed.args.owner} (tx ${receipt.hash})`);
        return { modelId };
      }
    }
    throw new Error("no ModelCreated event");
  });
}
