import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { io, paymentUnits, runTask, taskContext, type CommonArgs } from "../lib.js";

type Args = CommonArgs & { amount: string | undefined; to: string | undefined };

/** `veritas withdraw`: withdraws the signer's escrow balance (node earnings, refunds, prepaid funds). */
export default async function withdraw(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(args, hre);
    const usd = await paymentUnits(ctx);
    const { reader, requester } = ctx.client;
    const amount = args.amount === undefined ? await reader.balanceOf() : usd.parse(args.amount, "--amount");
    const to = args.to ?? ctx.address;
    const receipt = await requester.withdraw(amount, to);
    io.out(
      `Withdrew ${usd.format(amount)} to ${to}; escrow balance left ${usd.format(await reader.balanceOf())} (tx ${receipt.hash})`,
    );
    return { amount, to };
  });
}
