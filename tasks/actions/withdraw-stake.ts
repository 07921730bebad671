import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { io, runTask, stakingUnits, taskContext, type CommonArgs } from "../lib.js";

type Args = CommonArgs & { to: string | undefined };

/** `veritas withdraw-stake`: withdraws the signer's thawed stake. */
export default async function withdrawStake(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(args, hre);
    const vrt = await stakingUnits(ctx);
    const { amount, to, transactionHash } = await ctx.client.operator.withdrawStake(args.to);
    io.out(`Withdrew ${vrt.format(amount)} of thawed stake to ${to} (tx ${transactionHash})`);
    return { amount, to };
  });
}
