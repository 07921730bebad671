import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { io, requireOption, runTask, stakingUnits, taskContext, type CommonArgs } from "../lib.js";

type Args = CommonArgs & { amount: string | undefined };

/** `veritas unstake`: moves active stake to thawing; `veritas withdraw-stake` takes it out after the unbonding period. */
export default async function unstake(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(args, hre);
    const vrt = await stakingUnits(ctx);
    const amount = vrt.parse(requireOption(args.amount, "--amount"), "--amount");
    const { operator } = ctx.client;
    const receipt = await operator.requestUnstake(amount);
    const { thawing, thawEnd } = await operator.getNode();
    io.out(
      `Unstake requested: ${vrt.format(thawing)} thawing until ${thawEnd} ` +
        `(${new Date(Number(thawEnd) * 1000).toISOString()}); then run \`veritas withdraw-stake\` (tx ${receipt.hash})`,
    );
    return { thawing, thawEnd };
  });
}
