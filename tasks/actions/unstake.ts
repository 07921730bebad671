import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatAmount, io, parseAmount, requireOption, runTask, taskContext, type CommonArgs } from "../lib.js";

type Args = CommonArgs & { amount: string | undefined };

/** `veritas unstake`: moves active stake to thawing; `veritas withdraw-stake` takes it out after the unbonding period. */
export default async function unstake(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(args, hre);
    const token = await ctx.stakingToken();
    const [decimals, symbol] = [await token.decimals(), await token.symbol()];
    const amount = parseAmount(requireOption(args.amount, "--amount"), decimals, "--amount");
    const receipt = await ctx.client.send(() => ctx.staking.requestUnstake(amount));
    const node = await ctx.staking.getNode(ctx.address);
    io.out(
      `Unstake requested: ${formatAmount(node.thawing, decimals, symbol)} thawing until ${node.thawEnd} ` +
        `(${new Date(Number(node.thawEnd) * 1000).toISOString()}); then run \`veritas withdraw-stake\` (tx ${receipt.hash})`,
    );
    return { thawing: node.thawing, thawEnd: node.thawEnd };
  });
}
