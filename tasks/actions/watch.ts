import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { JobStatus } from "../../src/constants.js";
import { VeritasJobError } from "../../src/errors.js";
import { describeOutput, describeVerification, io, runTask, taskContext, UsageError, type CommonArgs } from "../lib.js";

type Args = CommonArgs & { jobId: string; timeout: bigint; interval: bigint };

/**
 * `veritas watch <jobId>`: prints the job's status changes (claim, optimistic proposal, dispute) until it settles;
 * exit 1 if it ends otherwise (a `VeritasJobError`: `JOB_CANCELLED`, `JOB_EXPIRED`, `JOB_REFUNDED`, `PAST_DEADLINE`,
 * `TIMEOUT`).
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
    const { reader, verification } = ctx.client;
    const deadline = Date.now() + Number(args.timeout) * 1000;
    let last = "";
    for (;;) {
      const info = await reader.getJob(jobId);
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
        io.out(`Verified: ${describeVerification(await verification.verificationOf(r))}`);
        return { status: info.status, output: r.output, node: r.node };
      }
      if (info.status === "Cancelled" || info.status === "Expired" || info.status === "Refunded") {
        const ruling = info.ruling ? ` (dispute ruled ${info.ruling})` : "";
        throw new VeritasJobError(
          `JOB_${info.status.toUpperCase() as Uppercase<typeof info.status>}`,
          jobId,
          `job ${jobId} ended ${info.status}${ruling}, refund ${info.refund ?? 0n}`,
          info.refund ?? undefined,
        );
      }
      if (await reader.pastDeadline(info)) {
        throw new VeritasJobError(
          "PAST_DEADLINE",
          jobId,
          `job ${jobId} reached its final deadline (${info.job.expiresAt}) without a result: it can only be expired now`,
        );
      }
      if (Date.now() >= deadline)
        throw new VeritasJobError("TIMEOUT", jobId, `job ${jobId} still ${info.status} after ${args.timeout} s`);
      await new Promise((r) => setTimeout(r, Number(args.interval)));
    }
  });
}
