import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { io, requireOption, runTask, stakingUnits, taskContext, type CommonArgs } from "../lib.js";

type Args = CommonArgs & { amount: string | undefined; node: string | undefined };

/** `veritas stake`: stakes for a node (default the signer), approving the staking contract if needed. */
export default async function stake(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(args, hre);
    const vrt = await stakingUnits(ctx);
    const amount = vrt.parse(requireOption(args.amount, "--amount"), "--amount");
    const node = args.node ?? ctx.address;
    const { operator } = ctx.client;
    const receipt = await operator.stake(amount, { node });
    const { staked } = await operator.getNode(node);
    io.out(`Staked ${vrt.format(amount)} for ${node}: active stake ${vrt.format(staked)} (tx ${receipt.hash})`);
    return { node, staked };
  });
}
