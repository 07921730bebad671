import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { maskOf } from "../../src/client.js";
import { io, parseModes, requireOption, runTask, taskContext, type CommonArgs } from "../lib.js";

type Args = CommonArgs & { endpoint: string | undefined; capabilities: string; update: boolean };

/** `veritas register-node`: registers the signer as a node (or updates it with --update). */
export default async function registerNode(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const endpoint = requireOption(args.endpoint, "--endpoint");
    const modes = parseModes(args.capabilities);
    const ctx = await taskContext(args, hre);
    const { operator } = ctx.client;
    const receipt = await (args.update ? operator.updateNode(endpoint, modes) : operator.registerNode(endpoint, modes));
    io.out(
      `Node ${ctx.address} ${args.update ? "updated" : "registered"}: ${endpoint}, capabilities ${args.capabilities} (tx ${receipt.hash})`,
    );
    return { node: ctx.address, capabilities: maskOf(modes) };
  });
}
