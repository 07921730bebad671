import { expect } from "chai";
import { network } from "hardhat";
import { NO_CLAIM } from "../../../src/jobs.js";
import { JobStatus } from "../../helpers/constants.js";
import { OUTPUT, race, tip } from "../../helpers/attacks.js";
import { deployTeeFixture, type TeeFixture } from "../../helpers/fixtures.js";

const { ethers, networkHelpers } = await network.create();
const teeFixture = () => deployTeeFixture(ethers, networkHelpers);

// Issue 12 finding 1 (batch part), with the API before the fix (a one-step cancel): the same requirement as
// test/attacks/cancel-front-running.ts "batch revert by one cancel": one third party's cancel must not revert a batch.
describe("old API: batch revert by one cancel", function () {
  let f: TeeFixture;
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(teeFixture);
  });

  it("a requester's cancel that front-runs a batch leaves that job out; the batch is mined and the rest settles", async function () {
    const escrowAddr = await f.escrow.getAddress();
    const jobs = [await f.request(), await f.request(), await f.request(), await f.request()];
    const all = jobs.map((j) => j.job);
    const outputs = all.map(() => OUTPUT);
    const sig = await f.enclave.signBatch(f.teeDomain, escrowAddr, all, outputs);
    const [batch, cancelled] = await race(ethers, networkHelpers, [
      () =>
        f.escrow.connect(f.node).submitBatch(
          all,
          all.map(() => NO_CLAIM),
          outputs,
          sig,
          tip(1n),
        ),
      () => f.escrow.connect(f.requester).cancel(jobs[1].job, tip(50n)),
    ]);
    expect(cancelled, "the cancel is mined").to.equal(true);
    expect(batch, "the batch is mined").to.equal(true);
    const statuses = await Promise.all(jobs.map((j) => f.escrow.jobStatus(j.jobId)));
    expect(statuses).to.deep.equal([JobStatus.Settled, JobStatus.Cancelled, JobStatus.Settled, JobStatus.Settled]);
  });
});
