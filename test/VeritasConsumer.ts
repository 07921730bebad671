import { expect } from "chai";
import { network } from "hardhat";
import { AbiCoder, id } from "ethers";
import { JobStatus } from "./helpers/constants.js";
import { claimOf, requestedJobs, type Job } from "../src/jobs.js";
import type { RiskGatedPayout } from "../typechain-types/index.js";
import { deployTeeFixture, USD, type TeeFixture } from "./helpers/fixtures.js";

const { ethers, networkHelpers } = await network.create();
const output = (label: bigint) => AbiCoder.defaultAbiCoder().encode(["int256[]"], [[10n, -4n, 3n, label]]);

async function consumerFixture() {
  const f = await deployTeeFixture(ethers, networkHelpers);
  const payout = (await ethers.deployContract("RiskGatedPayout", [
    await f.escrow.getAddress(),
    f.modelOwner.address,
  ])) as unknown as RiskGatedPayout;
  await f.usd.mint(await payout.getAddress(), USD(100));
  await payout.connect(f.modelOwner).fundInference(USD(10));
  return { ...f, payout };
}

describe("VeritasConsumer (RiskGatedPayout example)", function () {
  let f: TeeFixture & { payout: RiskGatedPayout };
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(consumerFixture);
  });

  async function requestPayout(amount: bigint): Promise<{ jobId: bigint; job: Job }> {
    const tx = await f.payout
      .connect(f.modelOwner)
      .requestPayout(f.other.address, amount, f.versionId, USD(1), id("features"), "ipfs://features");
    const [r] = requestedJobs(f.escrow, (await tx.wait())!.logs);
    return r;
  }

  async function serve(job: Job, label: bigint) {
    const claim = claimOf(f.escrow, (await (await f.escrow.connect(f.node).claim(job)).wait())!.logs);
    const out = output(label);
    const sig = await f.enclave.signResult(f.teeDomain, await f.escrow.getAddress(), job, out);
    return f.escrow.connect(f.node).submitResult(job, claim, out, sig);
  }

  it("pays out when the verified label is 0 (low risk), through the escrow's callback", async function () {
    const { jobId, job } = await requestPayout(USD(5));
    expect(job.requester).to.equal(await f.payout.getAddress());
    expect(job.callbackGasLimit).to.equal(await f.payout.CALLBACK_GAS());
    const tx = serve(job, 0n);
    await expect(tx).to.emit(f.escrow, "CallbackExecuted").withArgs(jobId, true);
    await expect(tx).to.emit(f.payout, "PayoutApproved").withArgs(jobId, f.other.address, USD(5));
    await expect(tx).to.changeTokenBalances(ethers, f.usd, [f.other, f.payout], [USD(5), -USD(5)]);
    expect((await f.payout.pending(jobId)).recipient).to.equal(ethers.ZeroAddress);
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
  });

  it("pays nothing when the label is risky, and the job still settles", async function () {
    const { jobId, job } = await requestPayout(USD(5));
    const tx = serve(job, 2n);
    await expect(tx).to.emit(f.payout, "PayoutRejected").withArgs(jobId, 2n);
    await expect(tx).to.changeTokenBalances(ethers, f.usd, [f.other], [0n]);
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
  });

  it("accepts results only from the escrow, and payouts only from the owner", async function () {
    await expect(f.payout.connect(f.other).onInferenceResult(1n, output(0n)))
      .to.be.revertedWithCustomError(f.payout, "CallerNotEscrow")
      .withArgs(f.other.address);
    await expect(f.payout.connect(f.other).requestPayout(f.other.address, 1n, f.versionId, USD(1), id("x"), ""))
      .to.be.revertedWithCustomError(f.payout, "NotOwner")
      .withArgs(f.other.address);
    await expect(f.payout.connect(f.other).fundInference(1n))
      .to.be.revertedWithCustomError(f.payout, "NotOwner")
      .withArgs(f.other.address);
  });

  it("a callback from the escrow for a job without a pending payout reverts with UnknownPayout", async function () {
    const escrow = await f.escrow.getAddress();
    await networkHelpers.impersonateAccount(escrow);
    await networkHelpers.setBalance(escrow, 10n ** 18n);
    await expect(f.payout.connect(await ethers.getSigner(escrow)).onInferenceResult(42n, output(0n)))
      .to.be.revertedWithCustomError(f.payout, "UnknownPayout")
      .withArgs(42n);
    await networkHelpers.stopImpersonatingAccount(escrow);
  });
});
