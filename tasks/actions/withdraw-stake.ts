import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatAmount, io, runTask, taskContext, type CommonArgs } from "../lib.js";

type Args = CommonArgs & { to: string | undefined };

/** `veritas withdraw-stake`: withdraws the signer's thawed stake. */
export default async function withdrawStake(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(args, hre);
    const token = await ctx.stakingToken();
    const [decimals, symbol] = [await token.decimals(), await token.symbol()];
    const to = args.to ?? ctx.address;
    const receipt = await ctx.client.send(() => ctx.staking.withdrawStake(to));
    let amount = 0n;
    for (const log of receipt.logs) {
      const parsed = ctx.staking.interface.parseLog(log);
      if (parsed?.name === "StakeWithdrawn") amount = BigInt(parsed.args.amount);
    }
    io.out(`Withdrew ${formatAmount(amount, decimals, symbol)} of thawed stake to ${to} (tx ${receipt.hash})`);
    return { amount, to };
  });
}
