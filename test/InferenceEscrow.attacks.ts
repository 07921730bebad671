import { expect } from "chai";
import { network } from "hardhat";
import { AbiCoder } from "ethers";
import { JobStatus, Mode } from "../scripts/lib/constants.js";
import { NO_CLAIM, type Claim, type Job } from "../scripts/lib/jobs.js";
import type {
  FeeOnTransferToken,
  GasBurningConsumer,
  NoReturnToken,
  RecordingConsumer,
  ReentrantConsumer,
  ReentrantToken,
  RevertingConsumer,
} from "../typechain-types/index.js";
import { deployTeeFixture, NODE_STAKE, PAYMENT, USD, type TeeFixture } from "./helpers/fixtures.js";
import { claimJob, jobOf, requestParams, split } from "./helpers/escrow.js";
import { deployMockZkSuite, type MockZkSuite } from "./helpers/suites.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const fixture = () => deployTeeFixture(ethers, networkHelpers);
const OUTPUT = AbiCoder.defaultAbiCoder().encode(["int256[]"], [[12n, -3n, 7n, 0n]]);
const now = async (): Promise<bigint> => BigInt(await time.latest());

/** The 4-byte selector of `ReentrantCall()`, as a reentrant call's raw revert data. */
let REENTRANT_CALL: string;

describe("InferenceEscrow: callbacks and attacks", function () {
  let f: TeeFixture;
  let escrowAddr: string;
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
    escrowAddr = await f.escrow.getAddress();
    REENTRANT_CALL = f.escrow.interface.getError("ReentrantCall")!.selector;
  });

  // ------------------------------------------------------------------------------------------------ callbacks

  describe("contract requesters and their callbacks", function () {
    type Consumer = RecordingConsumer | RevertingConsumer | GasBurningConsumer | ReentrantConsumer;

    /** Deploys a consumer, funds its escrow balance (deposited by the requester) and has it request a job. */
    async function consumerJob<C extends Consumer>(name: string, callbackGasLimit: bigint, funds = USD(10)) {
      const consumer = (await ethers.deployContract(name, [escrowAddr])) as unknown as C;
      const addr = await consumer.getAddress();
      await f.escrow.connect(f.requester).deposit(addr, funds);
      const { jobId, job } = await jobOf(
        f.escrow,
        consumer.request(requestParams(f, await now(), { callbackGasLimit })),
      );
      expect(job.requester).to.equal(addr);
      return { consumer, addr, jobId, job };
    }

    async function submit(job: Job, claim: Claim = NO_CLAIM, overrides: { gasLimit?: bigint } = {}) {
      const sig = await f.enclave.signResult(f.teeDomain, escrowAddr, job, OUTPUT);
      return f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, sig, overrides);
    }

    it("a consumer contract receives the verified output with its full gas limit (CallbackExecuted true)", async function () {
      const limit = 400_000n;
      const { consumer, jobId, job } = await consumerJob<RecordingConsumer>("RecordingConsumer", limit);
      const claim = await claimJob(f.escrow, f.node, job);
      const tx = await submit(job, claim);
      await expect(tx).to.emit(f.escrow, "CallbackExecuted").withArgs(jobId, true);
      await expect(tx).to.emit(f.escrow, "JobSettled");
      expect(await consumer.calls()).to.equal(1n);
      expect(await consumer.lastJobId()).to.equal(jobId);
      expect(await consumer.lastOutput()).to.equal(OUTPUT);
      expect(await consumer.lastCaller()).to.equal(escrowAddr);
      const gas = await consumer.gasAtEntry();
      expect(gas).to.be.lessThanOrEqual(limit);
      expect(gas).to.be.greaterThan(limit - 1_000n);
    });

    it("no callback for a zero gas limit", async function () {
      const { consumer, job } = await consumerJob<RecordingConsumer>("RecordingConsumer", 0n);
      await expect(submit(job)).to.not.emit(f.escrow, "CallbackExecuted");
      expect(await consumer.calls()).to.equal(0n);
    });

    it("a reverting callback never blocks settlement: CallbackExecuted false, node paid", async function () {
      const { addr, jobId, job } = await consumerJob<RevertingConsumer>("RevertingConsumer", 300_000n);
      const claim = await claimJob(f.escrow, f.node, job);
      const tx = await submit(job, claim);
      await expect(tx).to.emit(f.escrow, "CallbackExecuted").withArgs(jobId, false);
      await expect(tx).to.emit(f.escrow, "JobSettled");
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(split(job).nodeFee);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
      expect(await f.escrow.balanceOf(addr)).to.equal(USD(10) - PAYMENT);
    });

    it("a gas-burning callback never blocks settlement, and the transaction's gas stays bounded", async function () {
      const limit = 1_000_000n;
      const { consumer, jobId, job } = await consumerJob<GasBurningConsumer>("GasBurningConsumer", limit);
      const tx = await submit(job, NO_CLAIM, { gasLimit: 5_000_000n });
      await expect(tx).to.emit(f.escrow, "CallbackExecuted").withArgs(jobId, false);
      const receipt = (await tx.wait())!;
      // The callback burned its whole limit, and not a unit more: settlement costs well under 250k on top.
      expect(receipt.gasUsed).to.be.greaterThan(limit);
      expect(receipt.gasUsed).to.be.lessThan(limit + 250_000n);
      expect(await consumer.counter()).to.equal(0n); // its writes were rolled back
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(split(job).nodeFee);
    });

    it("a node cannot starve the callback: too little gas reverts with InsufficientGasForCallback", async function () {
      const limit = 1_000_000n;
      const { consumer, jobId, job } = await consumerJob<RecordingConsumer>("RecordingConsumer", limit);
      const needed = limit + limit / 63n + 10_000n;
      // 600k is plenty to verify and settle (a job without a callback settles in well under 200k)...
      await expect(submit(job, NO_CLAIM, { gasLimit: 600_000n }))
        .to.be.revertedWithCustomError(f.escrow, "InsufficientGasForCallback")
        .withArgs(jobId, (gasLeft: bigint) => gasLeft < needed, needed);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
      // ...and a few hundred thousand more than the callback limit is enough to run it in full.
      await expect(submit(job, NO_CLAIM, { gasLimit: limit + 400_000n }))
        .to.emit(f.escrow, "CallbackExecuted")
        .withArgs(jobId, true);
      expect(await consumer.gasAtEntry()).to.be.greaterThan(limit - 1_000n);
    });

    describe("a reentrant consumer", function () {
      async function reentrant(limit = 500_000n) {
        const r = await consumerJob<ReentrantConsumer>("ReentrantConsumer", limit);
        // A second open job of the consumer, a target for cancel and claim.
        const second = await jobOf(f.escrow, r.consumer.request(requestParams(f, await now())));
        return { ...r, second };
      }

      it("escrow.withdraw from the callback fails with ReentrantCall; balances intact", async function () {
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

      it("escrow.cancel of another job from the callback fails with ReentrantCall", async function () {
        const { consumer, addr, jobId, job, second } = await reentrant();
        const before = await f.escrow.balanceOf(addr);
        await consumer.setReentry(f.escrow.interface.encodeFunctionData("cancel", [second.job]), false);
        await expect(submit(job)).to.emit(f.escrow, "CallbackExecuted").withArgs(jobId, true);
        expect(await consumer.innerSuccess()).to.equal(false);
        expect(await consumer.innerReturn()).to.equal(REENTRANT_CALL);
        expect(await f.escrow.jobStatus(second.jobId)).to.equal(JobStatus.Open);
        expect(await f.escrow.balanceOf(addr)).to.equal(before);
      });

      it("escrow.claim from the callback fails with ReentrantCall", async function () {
        const { consumer, jobId, job, second } = await reentrant();
        await consumer.setReentry(f.escrow.interface.encodeFunctionData("claim", [second.job]), false);
        await expect(submit(job)).to.emit(f.escrow, "CallbackExecuted").withArgs(jobId, true);
        expect(await consumer.innerSuccess()).to.equal(false);
        expect(await consumer.innerReturn()).to.equal(REENTRANT_CALL);
        expect(await f.escrow.jobStatus(second.jobId)).to.equal(JobStatus.Open);
      });

      it("a callback that lets the ReentrantCall revert bubble is reported as failed; settlement holds", async function () {
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
  });

  // ------------------------------------------------------------------------------------------------ tokens

  describe("payment tokens", function () {
    async function suiteWith<T>(name: string) {
      const token = (await ethers.deployContract(name)) as unknown as T & { getAddress(): Promise<string> };
      const s = await deployMockZkSuite(ethers, await token.getAddress());
      return { s, token, escrowAddr: await s.escrow.getAddress() };
    }

    describe("a token that re-enters the escrow during transfer and transferFrom", function () {
      const reentrantFixture = () => suiteWith<ReentrantToken>("ReentrantToken");
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

      it("deposit → re-entered withdraw reverts with ReentrantCall; the deposit is credited once", async function () {
        await token.arm(eAddr, s.escrow.interface.encodeFunctionData("withdraw", [USD(10), tAddr]));
        await s.escrow.connect(s.requester).deposit(s.requester.address, USD(50));
        await expectBlocked();
        expect(await s.escrow.balanceOf(s.requester.address)).to.equal(USD(50));
        expect(await s.escrow.balanceOf(tAddr)).to.equal(USD(10));
        expect(await token.balanceOf(tAddr)).to.equal(0n);
        await expectConserved();
      });

      it("withdraw → re-entered withdraw reverts with ReentrantCall; nothing is paid twice", async function () {
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

      it("requestInferenceWithTransfer → re-entered requestInference reverts with ReentrantCall", async function () {
        const p = requestParams(s, await now(), { mode: Mode.ZK });
        await token.arm(eAddr, s.escrow.interface.encodeFunctionData("requestInference", [p]));
        const { jobId } = await jobOf(s.escrow, s.escrow.connect(s.requester).requestInferenceWithTransfer(p));
        await expectBlocked();
        expect(await s.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
        expect((await s.escrow.accountOf(tAddr)).nonce).to.equal(0n);
        expect(await s.escrow.balanceOf(tAddr)).to.equal(USD(10));
        await expectConserved(PAYMENT);
      });

      it("withdrawRoyalties and collectProtocolFees → re-entered collectProtocolFees reverts with ReentrantCall", async function () {
        const { job } = await jobOf(
          s.escrow,
          s.escrow.connect(s.requester).requestInferenceWithTransfer(requestParams(s, await now(), { mode: Mode.ZK })),
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

    it("a fee-on-transfer token is refused with TransferAmountMismatch", async function () {
      const { s, token, escrowAddr: eAddr } = await suiteWith<FeeOnTransferToken>("FeeOnTransferToken");
      await token.mint(s.requester.address, USD(1_000));
      await token.connect(s.requester).approve(eAddr, USD(1_000));
      await expect(s.escrow.connect(s.requester).deposit(s.requester.address, USD(100)))
        .to.be.revertedWithCustomError(s.escrow, "TransferAmountMismatch")
        .withArgs(USD(100), USD(99));
      await expect(
        s.escrow
          .connect(s.requester)
          .requestInferenceWithTransfer(requestParams(s, await now(), { mode: Mode.ZK, payment: USD(2) })),
      )
        .to.be.revertedWithCustomError(s.escrow, "TransferAmountMismatch")
        .withArgs(USD(2), USD(2) - USD(2) / 100n);
      expect(await token.balanceOf(eAddr)).to.equal(0n);
    });

    it("a no-return-value (USDT-style) token works for deposit, requests and withdraw through SafeERC20", async function () {
      const { s, token, escrowAddr: eAddr } = await suiteWith<NoReturnToken>("NoReturnToken");
      await token.mint(s.requester.address, USD(1_000));
      await token.connect(s.requester).approve(eAddr, USD(1_000));
      await expect(s.escrow.connect(s.requester).deposit(s.requester.address, USD(100)))
        .to.emit(s.escrow, "Deposited")
        .withArgs(s.requester.address, s.requester.address, USD(100));
      expect(await token.balanceOf(eAddr)).to.equal(USD(100));
      const { job } = await jobOf(
        s.escrow,
        s.escrow.connect(s.requester).requestInferenceWithTransfer(requestParams(s, await now(), { mode: Mode.ZK })),
      );
      expect(await token.balanceOf(eAddr)).to.equal(USD(100) + PAYMENT);
      await s.escrow.connect(s.node).submitResult(job, NO_CLAIM, OUTPUT, "0x");
      await s.escrow.connect(s.node).withdraw(split(job).nodeFee, s.node.address);
      await s.escrow.connect(s.requester).withdraw(USD(60), s.other.address);
      expect(await token.balanceOf(s.node.address)).to.equal(split(job).nodeFee);
      expect(await token.balanceOf(s.other.address)).to.equal(USD(60));
      expect(await s.escrow.balanceOf(s.requester.address)).to.equal(USD(40));
      // A failing transfer still reverts (the token's own require), rather than passing silently.
      await expect(s.escrow.connect(s.requester).deposit(s.requester.address, USD(10_000))).to.be.revertedWith(
        "allowance",
      );
      expect(await token.balanceOf(eAddr)).to.equal(USD(40) + split(job).royalty + split(job).protocolFee);
    });
  });

  // ------------------------------------------------------------------------------------------------ replay, races

  describe("replay and front-running", function () {
    it("a result signature cannot be replayed for the same input in another job", async function () {
      const a = await f.request();
      const b = await f.request(); // same version, same input digest, another job id
      const sigA = await f.enclave.signResult(f.teeDomain, escrowAddr, a.job, OUTPUT);
      await f.escrow.connect(f.node).submitResult(a.job, NO_CLAIM, OUTPUT, sigA);
      await expect(f.escrow.connect(f.node).submitResult(b.job, NO_CLAIM, OUTPUT, sigA)).to.be.revertedWithCustomError(
        f.tee,
        "UnknownEnclaveKey",
      );
      expect(await f.escrow.jobStatus(b.jobId)).to.equal(JobStatus.Open);
    });

    it("a result front-run by another node with the same signature is refused (the key is not theirs)", async function () {
      const { jobId, job } = await f.request();
      const sig = await f.enclave.signResult(f.teeDomain, escrowAddr, job, OUTPUT);
      await expect(f.escrow.connect(f.node2).submitResult(job, NO_CLAIM, OUTPUT, sig))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyNotOwned")
        .withArgs(f.enclave.address, f.node.address, f.node2.address);
      await f.escrow.connect(f.node).submitResult(job, NO_CLAIM, OUTPUT, sig);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(split(job).nodeFee);
      expect(await f.escrow.balanceOf(f.node2.address)).to.equal(0n);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
    });

    it("a node that front-runs a claim with a direct fulfil wins the job; the claim then fails cleanly", async function () {
      const { jobId, job } = await f.request();
      const sig = await f.enclave2.signResult(f.teeDomain, escrowAddr, job, OUTPUT);
      await f.escrow.connect(f.node2).submitResult(job, NO_CLAIM, OUTPUT, sig);
      await expect(f.escrow.connect(f.node).claim(job))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Settled, JobStatus.Open);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
    });

    it("a requester cannot cancel to pull its payment once a node has claimed (no escrow withdrawal mid-job)", async function () {
      const { jobId, job } = await f.request({ payment: USD(99) });
      await claimJob(f.escrow, f.node, job);
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(USD(1));
      await expect(f.escrow.connect(f.requester).cancel(job))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Claimed, JobStatus.Open);
      await expect(f.escrow.connect(f.requester).withdraw(USD(2), f.requester.address))
        .to.be.revertedWithCustomError(f.escrow, "InsufficientBalance")
        .withArgs(f.requester.address, USD(1), USD(2));
    });

    it("collateral that backs a claim cannot be withdrawn from staking until the job is done", async function () {
      const { job } = await f.request();
      const claim = await claimJob(f.escrow, f.node, job);
      await f.staking.connect(f.node).requestUnstake(await f.staking.totalStakeOf(f.node.address));
      await time.increase(7n * 24n * 3600n);
      await expect(f.staking.connect(f.node).withdrawStake(f.node.address))
        .to.be.revertedWithCustomError(f.staking, "CollateralLocked")
        .withArgs(f.node.address, 0n, job.collateral);
      // The job's deadline passed long ago: it is reported, the node slashed from its thawing stake.
      await f.escrow.connect(f.other).reportMissedDeadline(job, claim);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
      const thawing = (await f.staking.getNode(f.node.address)).thawing;
      expect(thawing).to.equal(NODE_STAKE - job.collateral);
      await expect(f.staking.connect(f.node).withdrawStake(f.node.address)).to.changeTokenBalances(
        ethers,
        f.token,
        [f.node],
        [thawing],
      );
      expect((await f.staking.getNode(f.node.address)).thawing).to.equal(0n);
    });
  });
});
