import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatAmount, io, parseAmount, runTask, taskContext, type CommonArgs } from "../lib.js";

type Args = CommonArgs & { amount: string | undefined; to: string | undefined };

/** `veritas withdraw`: withdraws the signer's escrow balance (node earnings, refunds, prepaid funds). */
export default async function withdraw(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(args, hre);
    const token = await ctx.client.paymentToken();
    const [decimals, symbol] = [(await token.decimals()) as bigint, (await token.symbol()) as string];
    const amount =
      args.amount === undefined ? await ctx.client.balanceOf() : parseAmount(args.amount, decimals, "--amount");
    const to = args.to ?? ctx.address;
    const receipt = await ctx.client.withdraw(amount, to);
    io.out(
      `Withdrew ${formatAmount(amount, decimals, symbol)} to ${to}; escrow balance left ` +
        `${formatAmount(await ctx.client.balanceOf(), decimals, symbol)} (tx ${receipt.hash})`,
    );
    return { amount, to };
  });
}
