import { expect } from "chai";
import { network } from "hardhat";
import { JobStatus, Mode } from "../helpers/constants.js";
import { NO_CLAIM, type Job } from "../../src/jobs.js";
import type { ReentrantConsumer, ReentrantToken } from "../../typechain-types/index.js";
import { consumerJob, now, OUTPUT, reentrantCall, suiteWithToken } from "../helpers/attacks.js";
import { jobOf, requestParams, split } from "../helpers/escrow.js";
import { deployTeeFixture, PAYMENT, USD, type TeeFixture } from "../helpers/fixtures.js";
import type { MockZkSuite } from "../helpers/suites.js";

const { ethers, networkHelpers } = await network.create();
const fixture = () => deployTeeFixture(ethers, networkHelpers);

/** Every state-changing entry point of the escrow is `nonReentrant` (one transient lock for the whole contract). */
describe("attacks: reentrancy", function () {
  let f: TeeFixture;
  let escrowAddr: string;
  let REENTRANT_CALL: string;
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
    escrowAddr = await f.escrow.getAddress();
    REENTRANT_CALL = reentrantCall(f.escrow);
  });

  describe("through a malicious callback (ReentrantConsumer)", function () {
    async function submit(job: Job) {
      const sig = await f.enclave.signResult(f.teeDomain, escrowAddr, job, OUTPUT);
      return f.escrow.connect(f.node).submitResult(job, NO_CLAIM, OUTPUT, sig);
    }

    async function reentrant(limit = 500_000n) {
      const r = await consumerJob<ReentrantConsumer>(ethers, f, "ReentrantConsumer", limit);
      // A second open job of the consumer, a target for cancel and claim.
      const second = await jobOf(f.escrow, r.consumer.request(requestParams(f, await now(networkHelpers))));
      return { ...r, second };
    }

    it("reentrancy through a malicious callback: escrow.withdraw fails with ReentrantCall; balances intact", async function () {
      const { consumer, addr, jobId, job } = await reentrant();
      const before = await f.escrow.balanceOf(addr);
      await consumer.setReentry(f.escrow.interface.encodeFunctionData("withdraw", [before, addr]), false);
      await expect(submit(job)).to.emit(f.escrow, "CallbackExecuted").withArgs(jobId, true);
      expect(await consumer.attempted()).to.equal(true);
      expect(await consumer.innerSuccess()).to.equal(false);
      expect(await consumer.innerReturn()).to.equal(REENTRANT_CALL);
      expect(await f.escrow.balanceOf(addr)).to.equal(before);
      expect(await f.usd.balanceOf(addr)).to.equal(0n);
      // Outside a callback the same withdrawal works.
      await consumer.withdraw(before, addr);
      expect(await f.usd.balanceOf(addr)).to.equal(before);
    });

    it("reentrancy through a malicious callback: escrow.cancel of another job fails with ReentrantCall", async function () {
      const { consumer, addr, jobId, job, second } = await reentrant();
      const before = await f.escrow.balanceOf(addr);
      await consumer.setReentry(f.escrow.interface.encodeFunctionData("cancel", [second.job]), false);
      await expect(submit(job)).to.emit(f.escrow, "CallbackExecuted").withArgs(jobId, true);
      expect(await consumer.innerSuccess()).to.equal(false);
      expect(await consumer.innerReturn()).to.equal(REENTRANT_CALL);
      expect(await f.escrow.jobStatus(second.jobId)).to.equal(JobStatus.Open);
      expect(await f.escrow.balanceOf(addr)).to.equal(before);
    });

    it("reentrancy through a malicious callback: escrow.claim fails with ReentrantCall", async function () {
      const { consumer, jobId, job, second } = await reentrant();
      await consumer.setReentry(f.escrow.interface.encodeFunctionData("claim", [second.job]), false);
      await expect(submit(job)).to.emit(f.escrow, "CallbackExecuted").withArgs(jobId, true);
      expect(await consumer.innerSuccess()).to.equal(false);
      expect(await consumer.innerReturn()).to.equal(REENTRANT_CALL);
      expect(await f.escrow.jobStatus(second.jobId)).to.equal(JobStatus.Open);
    });

    it("reentrancy through a malicious callback: a callback that lets the ReentrantCall revert bubble is reported as failed; settlement holds", async function () {
      const { consumer, addr, jobId, job } = await reentrant();
      const before = await f.escrow.balanceOf(addr);
      await consumer.setReentry(f.escrow.interface.encodeFunctionData("withdraw", [before, addr]), true);
      const tx = await submit(job);
      await expect(tx).to.emit(f.escrow, "CallbackExecuted").withArgs(jobId, false);
      await expect(tx).to.changeTokenBalances(ethers, f.usd, [f.escrow, addr], [0n, 0n]);
      expect(await consumer.attempted()).to.equal(false);
      expect(await f.escrow.balanceOf(addr)).to.equal(before);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(split(job).nodeFee);
    });
  });

  describe("through a malicious token (ReentrantToken)", function () {
    const reentrantFixture = () => suiteWithToken<ReentrantToken>(ethers, "ReentrantToken");
    let s: MockZkSuite;
    let token: ReentrantToken;
    let eAddr: string;
    let tAddr: string;
    beforeEach(async function () {
      ({ s, token, escrowAddr: eAddr } = await networkHelpers.loadFixture(reentrantFixture));
      tAddr = await token.getAddress();
      await token.mint(s.requester.address, USD(1_000));
      await token.connect(s.requester).approve(eAddr, USD(1_000));
      // The token contract itself holds an escrow balance it could legitimately withdraw outside a transfer.
      await s.escrow.connect(s.requester).deposit(tAddr, USD(10));
    });

    /** Asserts the escrow holds exactly what it owes (no ZK jobs left open in these tests but `open`). */
    async function expectConserved(open = 0n) {
      const accrual = await s.escrow.accrualOf(s.modelId);
      const owed =
        (await s.escrow.balanceOf(s.requester.address)) +
        (await s.escrow.balanceOf(tAddr)) +
        (await s.escrow.balanceOf(s.node.address)) +
        accrual.royalties +
        accrual.protocolFees +
        open;
      expect(await token.balanceOf(eAddr)).to.equal(owed);
    }

    const expectBlocked = async () => {
      expect(await token.attempted()).to.equal(true);
      expect(await token.innerSuccess()).to.equal(false);
      expect(await token.innerReturn()).to.equal(REENTRANT_CALL);
    };

    it("reentrancy through a malicious token: deposit → re-entered withdraw reverts with ReentrantCall; the deposit is credited once", async function () {
      await token.arm(eAddr, s.escrow.interface.encodeFunctionData("withdraw", [USD(10), tAddr]));
      await s.escrow.connect(s.requester).deposit(s.requester.address, USD(50));
      await expectBlocked();
      expect(await s.escrow.balanceOf(s.requester.address)).to.equal(USD(50));
      expect(await s.escrow.balanceOf(tAddr)).to.equal(USD(10));
      expect(await token.balanceOf(tAddr)).to.equal(0n);
      await expectConserved();
    });

    it("reentrancy through a malicious token: withdraw → re-entered withdraw reverts with ReentrantCall; nothing is paid twice", async function () {
      await s.escrow.connect(s.requester).deposit(s.requester.address, USD(50));
      await token.arm(eAddr, s.escrow.interface.encodeFunctionData("withdraw", [USD(10), tAddr]));
      await expect(s.escrow.connect(s.requester).withdraw(USD(50), s.requester.address)).to.changeTokenBalances(
        ethers,
        token,
        [eAddr, s.requester.address, tAddr],
        [-USD(50), USD(50), 0n],
      );
      await expectBlocked();
      expect(await s.escrow.balanceOf(s.requester.address)).to.equal(0n);
      expect(await s.escrow.balanceOf(tAddr)).to.equal(USD(10));
      await expectConserved();
    });

    it("reentrancy through a malicious token: requestInferenceWithTransfer → re-entered requestInference reverts with ReentrantCall", async function () {
      const p = requestParams(s, await now(networkHelpers), { mode: Mode.ZK });
      await token.arm(eAddr, s.escrow.interface.encodeFunctionData("requestInference", [p]));
      const { jobId } = await jobOf(s.escrow, s.escrow.connect(s.requester).requestInferenceWithTransfer(p));
      await expectBlocked();
      expect(await s.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
      expect((await s.escrow.accountOf(tAddr)).nonce).to.equal(0n);
      expect(await s.escrow.balanceOf(tAddr)).to.equal(USD(10));
      await expectConserved(PAYMENT);
    });

    it("reentrancy through a malicious token: withdrawRoyalties and collectProtocolFees → re-entered collectProtocolFees reverts with ReentrantCall", async function () {
      const { job } = await jobOf(
        s.escrow,
        s.escrow
          .connect(s.requester)
          .requestInferenceWithTransfer(requestParams(s, await now(networkHelpers), { mode: Mode.ZK })),
      );
      await s.escrow.connect(s.node).submitResult(job, NO_CLAIM, OUTPUT, "0x");
      const { royalty, protocolFee } = split(job);
      const collect = s.escrow.interface.encodeFunctionData("collectProtocolFees", [[s.modelId]]);

      await token.arm(eAddr, collect);
      await s.escrow.connect(s.modelOwner).withdrawRoyalties(s.modelId, s.modelOwner.address);
      await expectBlocked();
      expect(await token.balanceOf(s.modelOwner.address)).to.equal(royalty);
      expect((await s.escrow.accrualOf(s.modelId)).protocolFees).to.equal(protocolFee);

      await token.arm(eAddr, collect);
      await expect(s.escrow.connect(s.other).collectProtocolFees([s.modelId])).to.changeTokenBalances(
        ethers,
        token,
        [eAddr, s.treasury.address],
        [-protocolFee, protocolFee],
      );
      await expectBlocked();
      await expectConserved();
    });
  });
});
