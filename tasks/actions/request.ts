import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import {
  io,
  parseMode,
  paymentUnits,
  printVerifiedResult,
  requireOption,
  runTask,
  taskContext,
  UsageError,
  type CommonArgs,
} from "../lib.js";

type Args = CommonArgs & {
  versionId: bigint;
  payment: string | undefined;
  input: string | undefined;
  inputDigest: string | undefined;
  inputUri: string;
  mode: string;
  node: string | undefined;
  deliveryWindow: bigint;
  ttl: bigint;
  callbackGas: bigint;
  pay: string;
  deposit: string | undefined;
  wait: boolean;
  timeout: bigint;
};

/**
 * `veritas request`: requests an inference (paid from the escrow balance, or by transfer), printing the job id; with
 * `--wait`, waits for the verified result and prints it with how it was verified (exit 1 if it does not settle).
 */
export default async function request(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    if (args.versionId <= 0n) throw new UsageError("--version-id is required");
    if (args.pay !== "balance" && args.pay !== "transfer") throw new UsageError("--pay must be balance or transfer");
    if (args.input === undefined && args.inputDigest === undefined)
      throw new UsageError("give --input or --input-digest");
    const ctx = await taskContext(args, hre);
    const usd = await paymentUnits(ctx);
    const payment = usd.parse(requireOption(args.payment, "--payment"), "--payment");
    const { reader, requester, verification } = ctx.client;
    if (args.deposit !== undefined) {
      const amount = usd.parse(args.deposit, "--deposit");
      await requester.deposit(amount);
      io.out(`Deposited ${usd.format(amount)}: balance ${usd.format(await reader.balanceOf())}`);
    }
    const r = await requester.requestInference(
      {
        versionId: args.versionId,
        payment,
        mode: parseMode(args.mode),
        node: args.node,
        deliveryWindow: args.deliveryWindow,
        ttl: Number(args.ttl),
        callbackGasLimit: args.callbackGas,
        input: args.inputDigest === undefined ? args.input : undefined,
        inputDigest: args.inputDigest,
        inputURI: args.inputUri,
      },
      { pay: args.pay },
    );
    io.out(
      `Job ${r.jobId} requested: version ${r.job.versionId}, payment ${usd.format(r.job.payment)} ` +
        `(${args.pay}), expires at ${r.job.expiresAt} (tx ${r.transactionHash})`,
    );
    if (!args.wait) {
      io.out(`Watch it: npx hardhat veritas watch ${r.jobId}`);
      return { jobId: r.jobId, job: r.job };
    }
    io.out(`Waiting up to ${args.timeout} s for the verified result…`);
    const result = await verification.waitForVerifiedResult(r.jobId, { timeout: Number(args.timeout) * 1000 });
    printVerifiedResult(result);
    return { jobId: r.jobId, job: r.job, result };
  });
}
