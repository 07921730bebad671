import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatAmount, io, parseAmount, requireOption, runTask, taskContext, type CommonArgs } from "../lib.js";

type Args = CommonArgs & { amount: string | undefined; node: string | undefined };

/** `veritas stake`: stakes for a node (default the signer), approving the staking contract if needed. */
export default async function stake(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(args, hre);
    const token = await ctx.stakingToken();
    const [decimals, symbol] = [await token.decimals(), await token.symbol()];
    const amount = parseAmount(requireOption(args.amount, "--amount"), decimals, "--amount");
    const node = args.node ?? ctx.address;
    const stakingAddress = await ctx.staking.getAddress();
    if ((await token.allowance(ctx.address, stakingAddress)) < amount) {
      await ctx.client.send(() => token.approve(stakingAddress, amount));
    }
    const receipt = await ctx.client.send(() => ctx.staking.stake(node, amount));
    const record = await ctx.staking.getNode(node);
    io.out(
      `Staked ${formatAmount(amount, decimals, symbol)} for ${node}: active stake ${formatAmount(record.staked, decimals, symbol)} (tx ${receipt.hash})`,
    );
    return { node, staked: record.staked };
  });
}
