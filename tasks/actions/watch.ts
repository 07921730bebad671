import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { JobStatus } from "../../src/constants.js";
import { describeOutput, describeVerification, io, runTask, taskContext, UsageError, type CommonArgs } from "../lib.js";

type Args = CommonArgs & { jobId: string; timeout: bigint; interval: bigint };

class WatchEnded extends Error {}

/**
 * `veritas watch <jobId>`: prints the job's status changes (claim, optimistic proposal, dispute) until it settles;
 * exit 1 if it ends otherwise.
 */
export default async function watch(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    let jobId: bigint;
    try {
      jobId = BigInt(args.jobId);
    } catch {
      throw new UsageError(`not a job id: ${args.jobId}`);
    }
    const ctx = await taskContext(args, hre);
    const deadline = Date.now() + Number(args.timeout) * 1000;
    let last = "";
    for (;;) {
      const info = await ctx.client.getJob(jobId);
      const line =
        info.status === "Claimed" && info.claim
          ? `Claimed by ${info.claim.node}, deliver by ${info.claim.deliverBy}`
          : info.status === "Proposed" && info.proposal
            ? `Proposed by ${info.proposal.node}: ${describeOutput(info.proposal.output)}, challenge window ends ${info.proposal.challengeEnds}`
            : info.status === "Disputed" && info.challenger
              ? `Disputed by ${info.challenger}`
              : info.status;
      if (line !== last) {
        io.out(`Job ${jobId}: ${line}`);
        last = line;
      }
      if (info.statusCode === JobStatus.Settled && info.result) {
        const r = info.result;
        io.out(`Output: ${describeOutput(r.output)}`);
        io.out(
          `Node ${r.node} paid ${r.nodeFee}, royalty ${r.royalty}, protocol fee ${r.protocolFee} (tx ${r.transactionHash})`,
        );
        io.out(`Verified: ${describeVerification(await ctx.client.verificationOf(r))}`);
        return { status: info.status, output: r.output, node: r.node };
      }
      if (
        info.statusCode === JobStatus.Cancelled ||
        info.statusCode === JobStatus.Expired ||
        info.statusCode === JobStatus.Refunded
      ) {
        const ruling = info.ruling ? ` (dispute ruled ${info.ruling})` : "";
        throw new WatchEnded(`job ${jobId} ended ${info.status}${ruling}, refund ${info.refund ?? 0n}`);
      }
      if (info.statusCode === JobStatus.Open || info.statusCode === JobStatus.Claimed) {
        const latest = await ctx.client.provider.getBlock("latest");
        const now = latest ? BigInt(latest.timestamp) : 0n;
        if (info.statusCode === JobStatus.Open ? now >= info.job.expiresAt : now > info.job.expiresAt) {
          throw new WatchEnded(
            `job ${jobId} reached its final deadline (${info.job.expiresAt}) without a result: it can only be expired now`,
          );
        }
      }
      if (Date.now() >= deadline) throw new WatchEnded(`job ${jobId} still ${info.status} after ${args.timeout} s`);
      await new Promise((r) => setTimeout(r, Number(args.interval)));
    }
  });
}
