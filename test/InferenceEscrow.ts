import { expect } from "chai";
import { network } from "hardhat";
import { AbiCoder, id, keccak256, Wallet, ZeroAddress } from "ethers";
import {
  BPS,
  CANCEL_GRACE_PERIOD_SECONDS,
  JobStatus,
  MAX_CALLBACK_GAS,
  MAX_CHALLENGE_WINDOW_SECONDS,
  MAX_DELIVERY_WINDOW_SECONDS,
  MAX_PROTOCOL_FEE_BPS,
  MAX_REQUEST_LIFETIME_SECONDS,
  MIN_CHALLENGE_WINDOW_SECONDS,
  MIN_DELIVERY_WINDOW_SECONDS,
  MISSED_DEADLINE_REQUESTER_SHARE_BPS,
  Mode,
  modeBit,
} from "./helpers/constants.js";
import { jobCommitment, jobIdOf, NO_CLAIM, type Claim, type Job } from "../src/jobs.js";
import { SimulatedEnclave, teeResultDomain } from "../src/tee.js";
import {
  deployTeeFixture,
  MEASUREMENT,
  MIN_COLLATERAL,
  NODE_STAKE,
  PAYMENT,
  registerEnclave,
  ROYALTY,
  stakeNode,
  USD,
  VRT,
  type TeeFixture,
} from "./helpers/fixtures.js";
import {
  cancelJob,
  claimJob,
  INPUT_DIGEST,
  INPUT_URI,
  jobOf,
  publishVersion,
  recoveredKey,
  requestParams,
  signPermit,
  split,
} from "./helpers/escrow.js";
import { jobTuple } from "../src/jobs.js";
import type { InferenceEscrow } from "../typechain-types/index.js";
import { expectOneTimeBinding } from "./helpers/binding.js";
import { deployMockZkSuite, type MockZkSuite } from "./helpers/suites.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const fixture = () => deployTeeFixture(ethers, networkHelpers);
const zkFixture = () => deployMockZkSuite(ethers);
const coder = AbiCoder.defaultAbiCoder();
const OUTPUT = coder.encode(["int256[]"], [[12n, -3n, 7n, 0n]]);
const OUTPUT2 = coder.encode(["int256[]"], [[1n, 2n, 3n, 4n]]);
const FEE_BPS = 250n;
const RATE_BPS = 20_000n;
const now = async (): Promise<bigint> => BigInt(await time.latest());

describe("InferenceEscrow", function () {
  let f: TeeFixture;
  let escrowAddr: string;
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
    escrowAddr = await f.escrow.getAddress();
  });

  const sign = (job: Job, output = OUTPUT, enclave: SimulatedEnclave = f.enclave) =>
    enclave.signResult(f.teeDomain, escrowAddr, job, output);

  /** Requests, claims (as `node`) and returns everything needed to submit. */
  async function claimed(node = f.node, o: Parameters<TeeFixture["request"]>[0] = {}) {
    const r = await f.request(o);
    const claim = await claimJob(f.escrow, node, r.job);
    return { ...r, claim };
  }

  // ------------------------------------------------------------------------------------------------ balances

  describe("deposit and withdraw", function () {
    it("deposit credits the named account, pulls from the caller and emits Deposited", async function () {
      const amount = USD(5);
      const before = await f.escrow.balanceOf(f.requester.address);
      const tx = await f.escrow.connect(f.other).deposit(f.requester.address, amount);
      await expect(tx).to.emit(f.escrow, "Deposited").withArgs(f.requester.address, f.other.address, amount);
      await expect(tx).to.changeTokenBalances(ethers, f.usd, [f.other, f.escrow], [-amount, amount]);
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(before + amount);
      expect(await f.escrow.balanceOf(f.other.address)).to.equal(0n);
    });

    it("deposit rejects the zero account and a zero amount", async function () {
      await expect(f.escrow.connect(f.other).deposit(ZeroAddress, 1n)).to.be.revertedWithCustomError(
        f.escrow,
        "ZeroAddress",
      );
      await expect(f.escrow.connect(f.other).deposit(f.other.address, 0n)).to.be.revertedWithCustomError(
        f.escrow,
        "ZeroAmount",
      );
    });

    it("withdraw sends from the caller's balance to any receiver and emits Withdrawn", async function () {
      const amount = USD(40);
      const tx = await f.escrow.connect(f.requester).withdraw(amount, f.other.address);
      await expect(tx).to.emit(f.escrow, "Withdrawn").withArgs(f.requester.address, f.other.address, amount);
      await expect(tx).to.changeTokenBalances(ethers, f.usd, [f.escrow, f.other, f.requester], [-amount, amount, 0n]);
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(USD(60));
    });

    it("withdraw of more than the balance reverts with InsufficientBalance", async function () {
      await expect(f.escrow.connect(f.requester).withdraw(USD(100) + 1n, f.requester.address))
        .to.be.revertedWithCustomError(f.escrow, "InsufficientBalance")
        .withArgs(f.requester.address, USD(100), USD(100) + 1n);
      await expect(f.escrow.connect(f.other).withdraw(1n, f.other.address))
        .to.be.revertedWithCustomError(f.escrow, "InsufficientBalance")
        .withArgs(f.other.address, 0n, 1n);
      // The whole balance can go.
      await f.escrow.connect(f.requester).withdraw(USD(100), f.requester.address);
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(0n);
    });

    it("withdraw rejects the zero receiver and a zero amount", async function () {
      await expect(f.escrow.connect(f.requester).withdraw(1n, ZeroAddress)).to.be.revertedWithCustomError(
        f.escrow,
        "ZeroAddress",
      );
      await expect(f.escrow.connect(f.requester).withdraw(0n, f.requester.address)).to.be.revertedWithCustomError(
        f.escrow,
        "ZeroAmount",
      );
    });
  });

  // ------------------------------------------------------------------------------------------------ requests

  describe("requests", function () {
    it("requestInference escrows from the balance and emits the full job; id = requester << 32 | nonce", async function () {
      const t = await now();
      const expectedId = (BigInt(f.requester.address) << 32n) | 0n;
      expect(await f.escrow.nextJobId(f.requester.address)).to.equal(expectedId);
      const params = requestParams(f, t, { deliveryWindow: 900n, expiresAt: t + 5000n });
      const expected: Job = {
        requester: f.requester.address,
        nonce: 0n,
        versionId: f.versionId,
        callbackGasLimit: 0n,
        node: ZeroAddress,
        mode: BigInt(Mode.TEE),
        modelId: f.modelId,
        payment: PAYMENT,
        royalty: ROYALTY,
        feeBps: FEE_BPS,
        collateral: MIN_COLLATERAL, // PAYMENT * 2 = 2e6 wei of VRT is far below the version's 100 VRT
        deliveryWindow: 900n,
        expiresAt: t + 5000n,
        inputDigest: INPUT_DIGEST,
        challengeWindow: 0n,
      };
      const tx = await f.escrow.connect(f.requester).requestInference(params);
      await expect(tx)
        .to.emit(f.escrow, "JobRequested")
        .withArgs(expectedId, f.requester.address, f.versionId, jobTuple(expected), INPUT_URI);
      await expect(tx).to.changeTokenBalances(ethers, f.usd, [f.requester, f.escrow], [0n, 0n]);
      const { jobId, job } = await jobOf(f.escrow, tx);
      expect(job).to.deep.equal(expected);
      expect(jobId).to.equal(expectedId).and.to.equal(jobIdOf(job));
      expect(await f.escrow.jobIdOf(job)).to.equal(expectedId);
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(USD(100) - PAYMENT);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
      expect(await f.escrow.jobCommitment(jobId)).to.equal(jobCommitment(job, NO_CLAIM, JobStatus.Open));

      // The nonce counts per requester.
      const second = await f.request();
      expect(second.job.nonce).to.equal(1n);
      expect(second.jobId).to.equal(expectedId + 1n);
      expect(await f.escrow.nextJobId(f.requester.address)).to.equal(expectedId + 2n);
      expect((await f.escrow.accountOf(f.requester.address)).nonce).to.equal(2n);
      // Another requester starts at its own nonce 0.
      await f.escrow.connect(f.other).deposit(f.other.address, PAYMENT);
      expect((await f.request({}, f.other)).jobId).to.equal(BigInt(f.other.address) << 32n);
    });

    it("collateral = max(version minCollateral, payment * rate / 1e4)", async function () {
      const v = await publishVersion(f.registry, f.modelOwner, f.modelId, { minCollateral: 3_000_000n });
      // 1 USD * 20_000 / 1e4 = 2e6 < 3e6: the minimum wins.
      const a = await f.request({ versionId: v, payment: USD(1) });
      expect(a.job.collateral).to.equal(3_000_000n);
      // 2.5 USD * 20_000 / 1e4 = 5e6 > 3e6: the rate wins.
      const b = await f.request({ versionId: v, payment: USD(2.5) });
      expect(b.job.collateral).to.equal((USD(2.5) * RATE_BPS) / BPS);
      // An odd payment rounds down.
      const c = await f.request({ versionId: v, payment: 2_500_001n });
      expect(c.job.collateral).to.equal((2_500_001n * RATE_BPS) / BPS);
      // With the version's royalty of zero, the job snapshots zero.
      expect(c.job.royalty).to.equal(0n);
    });

    it("requestInferenceWithTransfer pulls the payment from the caller's wallet", async function () {
      const t = await now();
      const tx = await f.escrow.connect(f.other).requestInferenceWithTransfer(requestParams(f, t));
      await expect(tx).to.changeTokenBalances(ethers, f.usd, [f.other, f.escrow], [-PAYMENT, PAYMENT]);
      const { jobId, job } = await jobOf(f.escrow, tx);
      expect(job.requester).to.equal(f.other.address);
      expect(jobId).to.equal(BigInt(f.other.address) << 32n);
      expect(await f.escrow.balanceOf(f.other.address)).to.equal(0n);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
    });

    it("requestInferenceWithTransfer without allowance reverts in the token", async function () {
      await f.usd.connect(f.other).approve(escrowAddr, 0n);
      await expect(
        f.escrow.connect(f.other).requestInferenceWithTransfer(requestParams(f, await now())),
      ).to.be.revertedWithCustomError(f.usd, "ERC20InsufficientAllowance");
    });

    it("requestInferenceWithPermit pays with a real EIP-2612 permit in one transaction", async function () {
      await f.usd.connect(f.other).approve(escrowAddr, 0n);
      const t = await now();
      const permit = await signPermit(f.usd, f.chainId, f.other, escrowAddr, PAYMENT, t + 600n);
      const tx = await f.escrow.connect(f.other).requestInferenceWithPermit(requestParams(f, t), permit);
      await expect(tx).to.changeTokenBalances(ethers, f.usd, [f.other, f.escrow], [-PAYMENT, PAYMENT]);
      const { jobId } = await jobOf(f.escrow, tx);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
      expect(await f.usd.nonces(f.other.address)).to.equal(1n);
      expect(await f.usd.allowance(f.other.address, escrowAddr)).to.equal(0n);
    });

    it("a permit front-run by someone else still lets the request through", async function () {
      await f.usd.connect(f.other).approve(escrowAddr, 0n);
      const t = await now();
      const permit = await signPermit(f.usd, f.chainId, f.other, escrowAddr, PAYMENT, t + 600n);
      // An observer copies the permit from the mempool and spends its nonce first.
      await f.usd
        .connect(f.node2)
        .permit(f.other.address, escrowAddr, PAYMENT, permit.deadline, permit.v, permit.r, permit.s);
      expect(await f.usd.allowance(f.other.address, escrowAddr)).to.equal(PAYMENT);
      const tx = await f.escrow.connect(f.other).requestInferenceWithPermit(requestParams(f, t), permit);
      await expect(tx).to.changeTokenBalances(ethers, f.usd, [f.other, f.escrow], [-PAYMENT, PAYMENT]);
      expect(await f.escrow.jobStatus((await jobOf(f.escrow, tx)).jobId)).to.equal(JobStatus.Open);
    });

    it("an invalid permit without allowance reverts in the token (the permit failure alone is swallowed)", async function () {
      await f.usd.connect(f.other).approve(escrowAddr, 0n);
      const t = await now();
      // Signed by the wrong owner.
      const permit = await signPermit(f.usd, f.chainId, f.node2, escrowAddr, PAYMENT, t + 600n);
      await expect(
        f.escrow.connect(f.other).requestInferenceWithPermit(requestParams(f, t), permit),
      ).to.be.revertedWithCustomError(f.usd, "ERC20InsufficientAllowance");
    });

    it("an unknown version reverts with the registry's UnknownVersion", async function () {
      await expect(f.escrow.connect(f.requester).requestInference(requestParams(f, await now(), { versionId: 99n })))
        .to.be.revertedWithCustomError(f.registry, "UnknownVersion")
        .withArgs(99n);
    });

    it("a deprecated version reverts with VersionDeprecated", async function () {
      await f.registry.connect(f.modelOwner).deprecateVersion(f.versionId);
      await expect(f.escrow.connect(f.requester).requestInference(requestParams(f, await now())))
        .to.be.revertedWithCustomError(f.escrow, "VersionDeprecated")
        .withArgs(f.versionId);
    });

    it("ModeNotSupported: modes the version lacks, modes this deployment has no verifier for, mode 0 and mode 9", async function () {
      const zk = await ethers.deployContract("MockResultVerifier");
      const all = modeBit(Mode.TEE) | modeBit(Mode.ZK) | modeBit(Mode.OPTIMISTIC);
      const v2 = await publishVersion(f.registry, f.modelOwner, f.modelId, {
        modes: all,
        zkVerifier: await zk.getAddress(),
      });
      const t = await now();
      const cases: [bigint, number][] = [
        [f.versionId, Mode.ZK], // the version does not support ZK
        [v2, 0],
        [v2, 9],
      ];
      for (const [versionId, mode] of cases) {
        await expect(f.escrow.connect(f.requester).requestInference(requestParams(f, t, { versionId, mode })))
          .to.be.revertedWithCustomError(f.escrow, "ModeNotSupported")
          .withArgs(versionId, mode);
      }
      expect(await f.escrow.verifierOf(Mode.ZK)).to.equal(await f.zkVerifier.getAddress());
      expect(await f.escrow.verifierOf(Mode.OPTIMISTIC)).to.equal(ZeroAddress);
      expect(await f.escrow.verifierOf(Mode.TEE)).to.equal(await f.teeVerifier.getAddress());
      // The same version in TEE mode is fine.
      await f.request({ versionId: v2 });
      // An escrow deployed without a ZK verifier refuses ZK; without a bound dispute manager, optimistic mode.
      const bare = await ethers.deployContract("InferenceEscrow", [
        await f.usd.getAddress(),
        await f.registry.getAddress(),
        await f.staking.getAddress(),
        f.treasury.address,
        await f.teeVerifier.getAddress(),
        ZeroAddress,
        { feeBps: 0, collateralPerPaymentBps: 0, paused: false, challengeWindow: 3600 },
        f.governance.address,
      ]);
      for (const mode of [Mode.ZK, Mode.OPTIMISTIC]) {
        await expect(bare.connect(f.requester).requestInference(requestParams(f, t, { versionId: v2, mode })))
          .to.be.revertedWithCustomError(bare, "ModeNotSupported")
          .withArgs(v2, mode);
      }
      expect(await bare.verifierOf(Mode.ZK)).to.equal(ZeroAddress);
      await f.request({ versionId: v2, mode: Mode.OPTIMISTIC });
    });

    it("PaymentTooLow below royalty plus fee, and for zero; the exact minimum is accepted", async function () {
      const t = await now();
      const req = (payment: bigint) => f.escrow.connect(f.requester).requestInference(requestParams(f, t, { payment }));
      await expect(req(0n)).to.be.revertedWithCustomError(f.escrow, "PaymentTooLow").withArgs(0n, ROYALTY);
      // payment = royalty: the fee on top is missing.
      await expect(req(ROYALTY))
        .to.be.revertedWithCustomError(f.escrow, "PaymentTooLow")
        .withArgs(ROYALTY, ROYALTY + (ROYALTY * FEE_BPS) / BPS);
      // 51_282 - floor(51_282 * 2.5 %) = 50_000 = royalty: the smallest payment that covers royalty and fee.
      await expect(req(51_281n)).to.be.revertedWithCustomError(f.escrow, "PaymentTooLow").withArgs(51_281n, 51_282n);
      const { job } = await jobOf(f.escrow, req(51_282n));
      expect(split(job)).to.deep.equal({ nodeFee: 0n, royalty: ROYALTY, protocolFee: 1_282n });
    });

    it("InvalidDeliveryWindow outside [30 s, 7 days]", async function () {
      const t = await now();
      for (const w of [0n, MIN_DELIVERY_WINDOW_SECONDS - 1n, MAX_DELIVERY_WINDOW_SECONDS + 1n]) {
        await expect(
          f.escrow
            .connect(f.requester)
            .requestInference(requestParams(f, t, { deliveryWindow: w, expiresAt: t + 8n * 24n * 3600n })),
        )
          .to.be.revertedWithCustomError(f.escrow, "InvalidDeliveryWindow")
          .withArgs(w, MIN_DELIVERY_WINDOW_SECONDS, MAX_DELIVERY_WINDOW_SECONDS);
      }
      for (const w of [MIN_DELIVERY_WINDOW_SECONDS, MAX_DELIVERY_WINDOW_SECONDS]) {
        const { job } = await f.request({ deliveryWindow: w, expiresAt: t + 8n * 24n * 3600n });
        expect(job.deliveryWindow).to.equal(w);
      }
    });

    it("InvalidExpiry in the past, too soon for one delivery window, and beyond 30 days", async function () {
      const T = (await now()) + 100n;
      const window = 600n;
      const earliest = T + window;
      const latest = T + MAX_REQUEST_LIFETIME_SECONDS;
      for (const expiresAt of [T - 1n, earliest - 1n, latest + 1n]) {
        await time.setNextBlockTimestamp(T);
        await expect(
          f.escrow.connect(f.requester).requestInference(requestParams(f, T, { deliveryWindow: window, expiresAt })),
        )
          .to.be.revertedWithCustomError(f.escrow, "InvalidExpiry")
          .withArgs(expiresAt, earliest, latest);
      }
      // Both bounds are inclusive.
      for (const [i, expiresAt] of [earliest, latest].entries()) {
        await time.setNextBlockTimestamp(T + BigInt(i));
        const { job } = await jobOf(
          f.escrow,
          f.escrow
            .connect(f.requester)
            .requestInference(requestParams(f, T, { deliveryWindow: window, expiresAt: expiresAt + BigInt(i) })),
        );
        expect(job.expiresAt).to.equal(expiresAt + BigInt(i));
      }
    });

    it("CallbackGasTooHigh above MAX_CALLBACK_GAS", async function () {
      const t = await now();
      await expect(
        f.escrow
          .connect(f.requester)
          .requestInference(requestParams(f, t, { callbackGasLimit: MAX_CALLBACK_GAS + 1n })),
      )
        .to.be.revertedWithCustomError(f.escrow, "CallbackGasTooHigh")
        .withArgs(MAX_CALLBACK_GAS + 1n, MAX_CALLBACK_GAS);
      const { job } = await f.request({ callbackGasLimit: MAX_CALLBACK_GAS });
      expect(job.callbackGasLimit).to.equal(MAX_CALLBACK_GAS);
    });

    it("a prepaid request above the balance reverts with InsufficientBalance", async function () {
      const t = await now();
      await expect(f.escrow.connect(f.requester).requestInference(requestParams(f, t, { payment: USD(100) + 1n })))
        .to.be.revertedWithCustomError(f.escrow, "InsufficientBalance")
        .withArgs(f.requester.address, USD(100), USD(100) + 1n);
      // Exactly the balance is fine.
      await f.request({ payment: USD(100) });
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(0n);
    });
  });

  // ------------------------------------------------------------------------------------------------ pause

  describe("pause", function () {
    it("setPaused(true) refuses every kind of request with RequestsPaused; unpausing restores them", async function () {
      await expect(f.escrow.connect(f.governance).setPaused(true)).to.emit(f.escrow, "PausedSet").withArgs(true);
      expect((await f.escrow.config()).paused).to.equal(true);
      const t = await now();
      const p = requestParams(f, t);
      const permit = await signPermit(f.usd, f.chainId, f.other, escrowAddr, PAYMENT, t + 600n);
      await expect(f.escrow.connect(f.requester).requestInference(p)).to.be.revertedWithCustomError(
        f.escrow,
        "RequestsPaused",
      );
      await expect(f.escrow.connect(f.other).requestInferenceWithTransfer(p)).to.be.revertedWithCustomError(
        f.escrow,
        "RequestsPaused",
      );
      await expect(f.escrow.connect(f.other).requestInferenceWithPermit(p, permit)).to.be.revertedWithCustomError(
        f.escrow,
        "RequestsPaused",
      );
      await expect(f.escrow.connect(f.governance).setPaused(false)).to.emit(f.escrow, "PausedSet").withArgs(false);
      await f.request();
    });

    it("while paused, claim, submit, cancel, expire, reportMissedDeadline, deposit and withdraw still work", async function () {
      const a = await f.request();
      const b = await f.request();
      const c = await f.request({ expiresAt: (await now()) + 700n });
      const d = await claimed(f.node2);
      await f.escrow.connect(f.governance).setPaused(true);

      const claim = await claimJob(f.escrow, f.node, a.job);
      await f.escrow.connect(f.node).submitResult(a.job, claim, OUTPUT, await sign(a.job));
      await cancelJob(f.escrow, f.requester, b.job, time);
      await time.increaseTo(c.job.expiresAt);
      await f.escrow.connect(f.other).expire(c.job);
      await f.escrow.connect(f.other).reportMissedDeadline(d.job, d.claim);
      await f.escrow.connect(f.other).deposit(f.other.address, 1n);
      await f.escrow.connect(f.node).withdraw(split(a.job).nodeFee, f.node.address);
      await f.escrow.connect(f.requester).withdraw(USD(1), f.requester.address);

      expect(await f.escrow.jobStatus(a.jobId)).to.equal(JobStatus.Settled);
      expect(await f.escrow.jobStatus(b.jobId)).to.equal(JobStatus.Cancelled);
      expect(await f.escrow.jobStatus(c.jobId)).to.equal(JobStatus.Expired);
      expect(await f.escrow.jobStatus(d.jobId)).to.equal(JobStatus.Open);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(0n);
      expect(await f.escrow.balanceOf(f.other.address)).to.equal(1n);
      // 100 - 4 requested + 1 cancelled + 1 expired - 1 withdrawn
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(USD(100 - 4 + 1 + 1 - 1));
      expect((await f.escrow.config()).paused).to.equal(true);
    });
  });

  // ------------------------------------------------------------------------------------------------ claim

  describe("claim", function () {
    it("locks the collateral, records the claim and emits JobClaimed", async function () {
      const { jobId, job } = await f.request();
      const T = (await now()) + 10n;
      await time.setNextBlockTimestamp(T);
      await expect(f.escrow.connect(f.node).claim(job))
        .to.emit(f.escrow, "JobClaimed")
        .withArgs(jobId, f.node.address, T + job.deliveryWindow, MIN_COLLATERAL);
      const claim: Claim = { node: f.node.address, deliverBy: T + job.deliveryWindow };
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(MIN_COLLATERAL);
      expect((await f.escrow.accountOf(f.node.address)).locked).to.equal(MIN_COLLATERAL);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Claimed);
      expect(await f.escrow.jobCommitment(jobId)).to.equal(jobCommitment(job, claim, JobStatus.Claimed));
    });

    it("the delivery deadline never runs past the request's final deadline", async function () {
      const t = await now();
      const { jobId, job } = await f.request({ deliveryWindow: 600n, expiresAt: t + 700n });
      await time.setNextBlockTimestamp(t + 300n);
      await expect(f.escrow.connect(f.node).claim(job))
        .to.emit(f.escrow, "JobClaimed")
        .withArgs(jobId, f.node.address, job.expiresAt, job.collateral);
    });

    it("NodeNotRegistered for an unregistered caller", async function () {
      const { job } = await f.request();
      await expect(f.escrow.connect(f.other).claim(job))
        .to.be.revertedWithCustomError(f.escrow, "NodeNotRegistered")
        .withArgs(f.other.address);
    });

    it("NodeStakeBelowMinimum after the node asked to unstake most of its stake", async function () {
      const { job } = await f.request();
      await f.staking.connect(f.node).requestUnstake(VRT(9_500));
      await expect(f.escrow.connect(f.node).claim(job))
        .to.be.revertedWithCustomError(f.escrow, "NodeStakeBelowMinimum")
        .withArgs(f.node.address, VRT(500), VRT(1_000));
    });

    it("NodeLacksCapability for a node registered only for ZK", async function () {
      const { job } = await f.request();
      await stakeNode(f, f.deployer, f.other, NODE_STAKE, modeBit(Mode.ZK));
      await expect(f.escrow.connect(f.other).claim(job))
        .to.be.revertedWithCustomError(f.escrow, "NodeLacksCapability")
        .withArgs(f.other.address, Mode.TEE);
    });

    it("InsufficientFreeStake once claims have locked all but the exact free amount", async function () {
      const v = await publishVersion(f.registry, f.modelOwner, f.modelId, { minCollateral: VRT(3_000) });
      const jobs = [];
      for (let i = 0; i < 4; i++) jobs.push((await f.request({ versionId: v })).job);
      for (const job of jobs.slice(0, 3)) await f.escrow.connect(f.node).claim(job);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(VRT(9_000));
      await expect(f.escrow.connect(f.node).claim(jobs[3]))
        .to.be.revertedWithCustomError(f.escrow, "InsufficientFreeStake")
        .withArgs(f.node.address, VRT(1_000), VRT(3_000));
      // Thawing stake still backs collateral: moving stake to thawing changes nothing.
      await f.staking.connect(f.node).requestUnstake(VRT(500));
      await expect(f.escrow.connect(f.node).claim(jobs[3]))
        .to.be.revertedWithCustomError(f.escrow, "InsufficientFreeStake")
        .withArgs(f.node.address, VRT(1_000), VRT(3_000));
      // A top-up of exactly the shortfall is enough.
      await f.token.connect(f.deployer).approve(await f.staking.getAddress(), VRT(2_000));
      await f.staking.connect(f.deployer).stake(f.node.address, VRT(2_000));
      await f.escrow.connect(f.node).claim(jobs[3]);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(VRT(12_000));
    });

    it("JobReservedForNode when another node claims a job named for node2", async function () {
      const { jobId, job } = await f.request({ node: f.node2.address });
      expect(job.node).to.equal(f.node2.address);
      await expect(f.escrow.connect(f.node).claim(job))
        .to.be.revertedWithCustomError(f.escrow, "JobReservedForNode")
        .withArgs(jobId, f.node2.address, f.node.address);
      await f.escrow.connect(f.node2).claim(job);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Claimed);
    });

    it("a second claim reverts with InvalidJobStatus(Claimed, Open)", async function () {
      const { jobId, job } = await f.request();
      await f.escrow.connect(f.node).claim(job);
      await expect(f.escrow.connect(f.node2).claim(job))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Claimed, JobStatus.Open);
      await expect(f.escrow.connect(f.node).claim(job))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Claimed, JobStatus.Open);
      expect(await f.escrow.lockedCollateral(f.node2.address)).to.equal(0n);
    });

    it("RequestExpired from the request's final deadline on", async function () {
      const { jobId, job } = await f.request();
      // The first second of expiry already refuses the claim.
      await time.setNextBlockTimestamp(job.expiresAt);
      await expect(f.escrow.connect(f.node).claim(job))
        .to.be.revertedWithCustomError(f.escrow, "RequestExpired")
        .withArgs(jobId, job.expiresAt);
    });

    it("JobMismatch when any job field is tampered with (e.g. zero collateral)", async function () {
      const { jobId, job } = await f.request();
      for (const tampered of [
        { ...job, collateral: 0n },
        { ...job, payment: job.payment + 1n },
        { ...job, expiresAt: job.expiresAt + 1n },
        { ...job, inputDigest: id("other input") },
      ]) {
        await expect(f.escrow.connect(f.node).claim(tampered))
          .to.be.revertedWithCustomError(f.escrow, "JobMismatch")
          .withArgs(jobId);
      }
    });

    it("UnknownJob for a job that was never requested", async function () {
      const { job } = await f.request();
      const ghost = { ...job, nonce: 42n };
      await expect(f.escrow.connect(f.node).claim(ghost))
        .to.be.revertedWithCustomError(f.escrow, "UnknownJob")
        .withArgs(jobIdOf(ghost));
    });
  });

  // ------------------------------------------------------------------------------------------------ submit

  describe("submitResult (TEE)", function () {
    it("settles a claimed job, unlocks the collateral and splits the payment", async function () {
      const { jobId, job, claim } = await claimed();
      const s = split(job);
      await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, await sign(job)))
        .to.emit(f.escrow, "JobSettled")
        .withArgs(jobId, f.node.address, keccak256(OUTPUT), OUTPUT, s.nodeFee, s.royalty, s.protocolFee);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
      expect(await f.escrow.jobCommitment(jobId)).to.equal(jobCommitment(job, claim, JobStatus.Settled));
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(s.nodeFee);
      // Submitting again finds the job settled.
      await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, await sign(job)))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Settled, JobStatus.Claimed);
    });

    it("NotClaimer when another node submits for the claim", async function () {
      const { jobId, job, claim } = await claimed();
      await expect(f.escrow.connect(f.node2).submitResult(job, claim, OUTPUT, await sign(job, OUTPUT, f.enclave2)))
        .to.be.revertedWithCustomError(f.escrow, "NotClaimer")
        .withArgs(jobId, f.node2.address, f.node.address);
    });

    it("a result is accepted up to deliverBy and refused with DeliveryDeadlinePassed after", async function () {
      const { jobId, job, claim } = await claimed();
      const sig = await sign(job);
      await time.setNextBlockTimestamp(claim.deliverBy + 1n);
      await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, sig))
        .to.be.revertedWithCustomError(f.escrow, "DeliveryDeadlinePassed")
        .withArgs(jobId, claim.deliverBy);

      const other = await claimed();
      await time.setNextBlockTimestamp(other.claim.deliverBy);
      await f.escrow.connect(f.node).submitResult(other.job, other.claim, OUTPUT, await sign(other.job));
      expect(await f.escrow.jobStatus(other.jobId)).to.equal(JobStatus.Settled);
    });

    it("a signature by an expired enclave key reverts with the registry's EnclaveKeyExpired", async function () {
      const short = new SimulatedEnclave(MEASUREMENT, new Wallet(id("short-lived enclave")));
      const keyExpiresAt = await registerEnclave(f, f.attestationService, f.node, short, 120n);
      const { job, claim } = await claimed();
      await time.setNextBlockTimestamp(keyExpiresAt);
      await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, await sign(job, OUTPUT, short)))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyExpired")
        .withArgs(short.address, keyExpiresAt);
      // The node's other key still works.
      await f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, await sign(job));
    });

    it("a signature by a key the node revoked reverts with EnclaveKeyRevokedError", async function () {
      const { job, claim } = await claimed();
      await f.tee.connect(f.node).revokeEnclaveKey(f.enclave.address);
      await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, await sign(job)))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyRevokedError")
        .withArgs(f.enclave.address);
    });

    it("a signature by a key whose measurement governance revoked reverts with MeasurementNotApproved", async function () {
      const { job, claim } = await claimed();
      await f.tee.connect(f.governance).revokeMeasurement(MEASUREMENT);
      await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, await sign(job)))
        .to.be.revertedWithCustomError(f.tee, "MeasurementNotApproved")
        .withArgs(MEASUREMENT);
    });

    it("a measurement the version does not allow reverts with the verifier's MeasurementNotAllowed", async function () {
      const v = await publishVersion(f.registry, f.modelOwner, f.modelId, { teeMeasurements: [id("other image")] });
      const { job, claim } = await claimed(f.node, { versionId: v });
      await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, await sign(job)))
        .to.be.revertedWithCustomError(f.teeVerifier, "MeasurementNotAllowed")
        .withArgs(v, MEASUREMENT);
    });

    it("node2's enclave signing for node's job reverts with EnclaveKeyNotOwned", async function () {
      const { job, claim } = await claimed();
      await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, await sign(job, OUTPUT, f.enclave2)))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyNotOwned")
        .withArgs(f.enclave2.address, f.node2.address, f.node.address);
    });

    it("a signature for another job recovers an unknown key (UnknownEnclaveKey)", async function () {
      const a = await claimed();
      const b = await f.request({ inputDigest: id("input-2") });
      const sigB = await sign(b.job);
      const key = recoveredKey(f.teeDomain, escrowAddr, a.job, OUTPUT, sigB);
      expect(key).to.not.equal(f.enclave.address);
      await expect(f.escrow.connect(f.node).submitResult(a.job, a.claim, OUTPUT, sigB))
        .to.be.revertedWithCustomError(f.tee, "UnknownEnclaveKey")
        .withArgs(key);
    });

    it("a signature for another chain id recovers an unknown key (UnknownEnclaveKey)", async function () {
      const { job, claim } = await claimed();
      const foreign = teeResultDomain(f.chainId + 1n, await f.teeVerifier.getAddress());
      const sig = await f.enclave.signResult(foreign, escrowAddr, job, OUTPUT);
      const key = recoveredKey(f.teeDomain, escrowAddr, job, OUTPUT, sig);
      await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, sig))
        .to.be.revertedWithCustomError(f.tee, "UnknownEnclaveKey")
        .withArgs(key);
    });

    it("a signature for another deployment (escrow or verifier address) recovers an unknown key", async function () {
      const { job, claim } = await claimed();
      const otherVerifier = teeResultDomain(f.chainId, f.other.address);
      for (const sig of [
        await f.enclave.signResult(f.teeDomain, f.other.address, job, OUTPUT),
        await f.enclave.signResult(otherVerifier, escrowAddr, job, OUTPUT),
      ]) {
        await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, sig))
          .to.be.revertedWithCustomError(f.tee, "UnknownEnclaveKey")
          .withArgs(recoveredKey(f.teeDomain, escrowAddr, job, OUTPUT, sig));
      }
    });

    it("a tampered output recovers an unknown key (UnknownEnclaveKey)", async function () {
      const { job, claim } = await claimed();
      const sig = await sign(job, OUTPUT);
      await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT2, sig))
        .to.be.revertedWithCustomError(f.tee, "UnknownEnclaveKey")
        .withArgs(recoveredKey(f.teeDomain, escrowAddr, job, OUTPUT2, sig));
    });

    it("a malformed signature reverts with the verifier's InvalidSignature", async function () {
      const { job, claim } = await claimed();
      for (const sig of ["0x", "0x" + "11".repeat(64), "0x" + "00".repeat(65)]) {
        await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, sig)).to.be.revertedWithCustomError(
          f.teeVerifier,
          "InvalidSignature",
        );
      }
    });

    it("a claim that was never made (forged deadline) reverts with JobMismatch", async function () {
      const { jobId, job, claim } = await claimed();
      await expect(
        f.escrow
          .connect(f.node)
          .submitResult(job, { ...claim, deliverBy: claim.deliverBy + 3600n }, OUTPUT, await sign(job)),
      )
        .to.be.revertedWithCustomError(f.escrow, "JobMismatch")
        .withArgs(jobId);
    });
  });

  // ------------------------------------------------------------------------------------------------ direct fulfil

  describe("direct fulfil (no claim)", function () {
    it("settles an open job at once, with no collateral ever locked", async function () {
      const { jobId, job } = await f.request();
      const s = split(job);
      const tx = await f.escrow.connect(f.node).submitResult(job, NO_CLAIM, OUTPUT, await sign(job));
      await expect(tx)
        .to.emit(f.escrow, "JobSettled")
        .withArgs(jobId, f.node.address, keccak256(OUTPUT), OUTPUT, s.nodeFee, s.royalty, s.protocolFee);
      await expect(tx).to.not.emit(f.escrow, "JobClaimed");
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(s.nodeFee);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
      expect(await f.escrow.jobCommitment(jobId)).to.equal(jobCommitment(job, NO_CLAIM, JobStatus.Settled));
    });

    it("JobReservedForNode for a job named for node2; node2 itself may fulfil it", async function () {
      const { jobId, job } = await f.request({ node: f.node2.address });
      await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, OUTPUT, await sign(job)))
        .to.be.revertedWithCustomError(f.escrow, "JobReservedForNode")
        .withArgs(jobId, f.node2.address, f.node.address);
      await f.escrow.connect(f.node2).submitResult(job, NO_CLAIM, OUTPUT, await sign(job, OUTPUT, f.enclave2));
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
    });

    it("RequestExpired from the request's final deadline on", async function () {
      const { jobId, job } = await f.request();
      const sig = await sign(job);
      await time.setNextBlockTimestamp(job.expiresAt);
      await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, OUTPUT, sig))
        .to.be.revertedWithCustomError(f.escrow, "RequestExpired")
        .withArgs(jobId, job.expiresAt);
    });

    it("a claimed job cannot be fulfilled directly, not even by its claimer", async function () {
      const { jobId, job } = await claimed();
      for (const node of [f.node, f.node2]) {
        await expect(
          f.escrow
            .connect(node)
            .submitResult(job, NO_CLAIM, OUTPUT, await sign(job, OUTPUT, node === f.node ? f.enclave : f.enclave2)),
        )
          .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
          .withArgs(jobId, JobStatus.Claimed, JobStatus.Open);
      }
    });
  });

  // ------------------------------------------------------------------------------------------------ cancel, expire

  describe("cancel and expire", function () {
    it("the requester cancels an open job in two steps: CancelRequested, then after the grace period a refund to its balance, JobCancelled", async function () {
      const { jobId, job } = await f.request();
      await expect(f.escrow.connect(f.requester).cancel(job))
        .to.be.revertedWithCustomError(f.escrow, "CancelNotRequested")
        .withArgs(jobId);
      const request = await f.escrow.connect(f.requester).requestCancel(job);
      const at = BigInt(await time.latest()) + CANCEL_GRACE_PERIOD_SECONDS;
      await expect(request).to.emit(f.escrow, "CancelRequested").withArgs(jobId, at);
      expect(await f.escrow.cancellableAt(jobId)).to.equal(at);
      await expect(f.escrow.connect(f.requester).requestCancel(job))
        .to.be.revertedWithCustomError(f.escrow, "CancelAlreadyRequested")
        .withArgs(jobId, at);
      await time.setNextBlockTimestamp(at - 1n);
      await expect(f.escrow.connect(f.requester).cancel(job))
        .to.be.revertedWithCustomError(f.escrow, "CancelGracePeriod")
        .withArgs(jobId, at);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
      await time.increaseTo(at);
      const tx = await f.escrow.connect(f.requester).cancel(job);
      await expect(tx).to.emit(f.escrow, "JobCancelled").withArgs(jobId, PAYMENT);
      await expect(tx).to.changeTokenBalances(ethers, f.usd, [f.requester, f.escrow], [0n, 0n]);
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(USD(100));
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Cancelled);
      await expect(f.escrow.connect(f.requester).cancel(job))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Cancelled, JobStatus.Open);
      await expect(f.escrow.connect(f.node).claim(job))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Cancelled, JobStatus.Open);
    });

    it("a job paid by transfer is refunded to the requester's escrow balance", async function () {
      const { jobId, job } = await jobOf(
        f.escrow,
        f.escrow.connect(f.other).requestInferenceWithTransfer(requestParams(f, await now())),
      );
      await cancelJob(f.escrow, f.other, job, time);
      expect(await f.escrow.balanceOf(f.other.address)).to.equal(PAYMENT);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Cancelled);
    });

    it("NotRequester when anyone else requests or completes a cancel", async function () {
      const { jobId, job } = await f.request();
      await expect(f.escrow.connect(f.other).requestCancel(job))
        .to.be.revertedWithCustomError(f.escrow, "NotRequester")
        .withArgs(jobId, f.other.address);
      await f.escrow.connect(f.requester).requestCancel(job);
      await time.increaseTo(await f.escrow.cancellableAt(jobId));
      await expect(f.escrow.connect(f.other).cancel(job))
        .to.be.revertedWithCustomError(f.escrow, "NotRequester")
        .withArgs(jobId, f.other.address);
    });

    it("cancel after a claim reverts with InvalidJobStatus(Claimed, Open), requested or not", async function () {
      const { jobId, job } = await claimed();
      for (const call of [f.escrow.connect(f.requester).requestCancel, f.escrow.connect(f.requester).cancel]) {
        await expect(call(job))
          .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
          .withArgs(jobId, JobStatus.Claimed, JobStatus.Open);
      }
    });

    it("expire: RequestNotExpired before the final deadline, then anyone expires it with a full refund", async function () {
      const { jobId, job } = await f.request();
      await time.setNextBlockTimestamp(job.expiresAt - 1n);
      await expect(f.escrow.connect(f.other).expire(job))
        .to.be.revertedWithCustomError(f.escrow, "RequestNotExpired")
        .withArgs(jobId, job.expiresAt);
      await time.setNextBlockTimestamp(job.expiresAt);
      await expect(f.escrow.connect(f.other).expire(job)).to.emit(f.escrow, "JobExpired").withArgs(jobId, PAYMENT);
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(USD(100));
      expect(await f.escrow.balanceOf(f.other.address)).to.equal(0n);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Expired);
      await expect(f.escrow.connect(f.other).expire(job))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Expired, JobStatus.Open);
    });

    it("a claimed job cannot be expired, only reported", async function () {
      const { jobId, job } = await claimed();
      await time.increaseTo(job.expiresAt + 1n);
      await expect(f.escrow.connect(f.other).expire(job))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Claimed, JobStatus.Open);
    });
  });

  // ------------------------------------------------------------------------------------------------ missed deadlines

  describe("reportMissedDeadline", function () {
    it("DeliveryDeadlineNotPassed up to and including deliverBy", async function () {
      const { jobId, job, claim } = await claimed();
      await time.setNextBlockTimestamp(claim.deliverBy);
      await expect(f.escrow.connect(f.other).reportMissedDeadline(job, claim))
        .to.be.revertedWithCustomError(f.escrow, "DeliveryDeadlineNotPassed")
        .withArgs(jobId, claim.deliverBy);
    });

    it("a job whose first node misses its deadline is claimed and settled by a second node", async function () {
      const { jobId, job, claim } = await claimed(f.node);
      const openCommitment = jobCommitment(job, NO_CLAIM, JobStatus.Open);
      const reward = (job.collateral * MISSED_DEADLINE_REQUESTER_SHARE_BPS) / BPS;
      await time.increaseTo(claim.deliverBy + 1n);

      const tx = await f.escrow.connect(f.other).reportMissedDeadline(job, claim);
      await expect(tx).to.emit(f.escrow, "DeliveryMissed").withArgs(jobId, f.node.address, job.collateral);
      await expect(tx)
        .to.emit(f.staking, "Slashed")
        .withArgs(f.node.address, job.collateral, f.requester.address, reward, job.collateral - reward);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
      expect((await f.staking.getNode(f.node.address)).staked).to.equal(NODE_STAKE - job.collateral);
      expect(await f.staking.rewardsOf(f.requester.address)).to.equal(reward);
      expect(await f.staking.rewardsOf(f.treasury.address)).to.equal(job.collateral - reward);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
      expect(await f.escrow.jobCommitment(jobId)).to.equal(openCommitment);
      // The payment is still escrowed: nothing went back to the requester.
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(USD(99));

      // The late node can no longer deliver, not even with a valid enclave signature.
      await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, await sign(job)))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Open, JobStatus.Claimed);
      // Reporting twice finds the job open.
      await expect(f.escrow.connect(f.other).reportMissedDeadline(job, claim))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Open, JobStatus.Claimed);

      const claim2 = await claimJob(f.escrow, f.node2, job);
      expect(claim2.node).to.equal(f.node2.address);
      await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, await sign(job)))
        .to.be.revertedWithCustomError(f.escrow, "JobMismatch")
        .withArgs(jobId);
      const s = split(job);
      await expect(f.escrow.connect(f.node2).submitResult(job, claim2, OUTPUT, await sign(job, OUTPUT, f.enclave2)))
        .to.emit(f.escrow, "JobSettled")
        .withArgs(jobId, f.node2.address, keccak256(OUTPUT), OUTPUT, s.nodeFee, s.royalty, s.protocolFee);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
      expect(await f.escrow.balanceOf(f.node2.address)).to.equal(s.nodeFee);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(0n);
      expect(await f.escrow.lockedCollateral(f.node2.address)).to.equal(0n);

      // The requester's slash reward is claimable in the staking token.
      await expect(f.staking.connect(f.requester).claimRewards(f.requester.address)).to.changeTokenBalances(
        ethers,
        f.token,
        [f.staking, f.requester],
        [-reward, reward],
      );
    });

    it("reported after the final deadline, the job ends Expired with a full refund (and the node is slashed)", async function () {
      const { jobId, job, claim } = await claimed();
      await time.setNextBlockTimestamp(job.expiresAt);
      const tx = await f.escrow.connect(f.other).reportMissedDeadline(job, claim);
      await expect(tx).to.emit(f.escrow, "DeliveryMissed").withArgs(jobId, f.node.address, job.collateral);
      await expect(tx).to.emit(f.escrow, "JobExpired").withArgs(jobId, PAYMENT);
      await expect(tx).to.emit(f.staking, "Slashed");
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Expired);
      expect(await f.escrow.jobCommitment(jobId)).to.equal(jobCommitment(job, NO_CLAIM, JobStatus.Expired));
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(USD(100));
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
      await expect(f.escrow.connect(f.node2).claim(job))
        .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
        .withArgs(jobId, JobStatus.Expired, JobStatus.Open);
    });

    it("a forged claim (earlier deadline, other node) reverts with JobMismatch", async function () {
      const { jobId, job, claim } = await claimed();
      await time.increaseTo(claim.deliverBy - 100n);
      for (const forged of [
        { ...claim, deliverBy: claim.deliverBy - 200n },
        { ...claim, node: f.node2.address },
      ]) {
        await expect(f.escrow.connect(f.other).reportMissedDeadline(job, forged))
          .to.be.revertedWithCustomError(f.escrow, "JobMismatch")
          .withArgs(jobId);
      }
    });
  });

  // ------------------------------------------------------------------------------------------------ batches

  describe("submitBatch", function () {
    it("a batch of one settles like submitResult", async function () {
      const { jobId, job, claim } = await claimed();
      const sig = await f.enclave.signBatch(f.teeDomain, escrowAddr, [job], [OUTPUT]);
      const s = split(job);
      await expect(f.escrow.connect(f.node).submitBatch([job], [claim], [OUTPUT], sig))
        .to.emit(f.escrow, "JobSettled")
        .withArgs(jobId, f.node.address, keccak256(OUTPUT), OUTPUT, s.nodeFee, s.royalty, s.protocolFee);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
    });

    it("a single-result signature is not a batch signature (and vice versa)", async function () {
      const { job, claim } = await claimed();
      const single = await sign(job);
      await expect(
        f.escrow.connect(f.node).submitBatch([job], [claim], [OUTPUT], single),
      ).to.be.revertedWithCustomError(f.tee, "UnknownEnclaveKey");
      const batch = await f.enclave.signBatch(f.teeDomain, escrowAddr, [job], [OUTPUT]);
      await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, batch)).to.be.revertedWithCustomError(
        f.tee,
        "UnknownEnclaveKey",
      );
    });

    it("three claimed jobs settle with one signature", async function () {
      const jobs: { jobId: bigint; job: Job; claim: Claim }[] = [];
      for (let i = 0; i < 3; i++) jobs.push(await claimed(f.node, { inputDigest: id(`input-${i}`) }));
      const outputs = [OUTPUT, OUTPUT2, coder.encode(["int256[]"], [[9n]])];
      const sig = await f.enclave.signBatch(
        f.teeDomain,
        escrowAddr,
        jobs.map((j) => j.job),
        outputs,
      );
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(3n * MIN_COLLATERAL);
      const tx = await f.escrow.connect(f.node).submitBatch(
        jobs.map((j) => j.job),
        jobs.map((j) => j.claim),
        outputs,
        sig,
      );
      const s = split(jobs[0].job);
      for (const [i, j] of jobs.entries()) {
        await expect(tx)
          .to.emit(f.escrow, "JobSettled")
          .withArgs(j.jobId, f.node.address, keccak256(outputs[i]), outputs[i], s.nodeFee, s.royalty, s.protocolFee);
        expect(await f.escrow.jobStatus(j.jobId)).to.equal(JobStatus.Settled);
      }
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(3n * s.nodeFee);
      const accrual = await f.escrow.accrualOf(f.modelId);
      expect(accrual.royalties).to.equal(3n * s.royalty);
      expect(accrual.protocolFees).to.equal(3n * s.protocolFee);
    });

    it("a batch mixes claimed jobs and direct fulfils of open jobs, of several requesters", async function () {
      const a = await claimed();
      const b = await f.request({ inputDigest: id("b") });
      await f.escrow.connect(f.other).deposit(f.other.address, USD(5));
      const c = await f.request({ inputDigest: id("c"), payment: USD(3) }, f.other);
      const jobs = [a.job, b.job, c.job];
      const outputs = [OUTPUT, OUTPUT2, OUTPUT];
      const sig = await f.enclave.signBatch(f.teeDomain, escrowAddr, jobs, outputs);
      await f.escrow.connect(f.node).submitBatch(jobs, [a.claim, NO_CLAIM, NO_CLAIM], outputs, sig);
      for (const j of [a, b, c]) expect(await f.escrow.jobStatus(j.jobId)).to.equal(JobStatus.Settled);
      expect(await f.escrow.jobCommitment(b.jobId)).to.equal(jobCommitment(b.job, NO_CLAIM, JobStatus.Settled));
      expect(await f.escrow.jobCommitment(a.jobId)).to.equal(jobCommitment(a.job, a.claim, JobStatus.Settled));
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(
        split(a.job).nodeFee + split(b.job).nodeFee + split(c.job).nodeFee,
      );
    });

    it("InvalidBatch for an empty batch and for arrays of different lengths", async function () {
      const { job, claim } = await claimed();
      const sig = await f.enclave.signBatch(f.teeDomain, escrowAddr, [job], [OUTPUT]);
      const node = f.escrow.connect(f.node);
      for (const call of [
        node.submitBatch([], [], [], sig),
        node.submitBatch([job], [], [OUTPUT], sig),
        node.submitBatch([job], [claim], [], sig),
        node.submitBatch([job], [claim, claim], [OUTPUT], sig),
        node.submitBatch([job], [claim], [OUTPUT, OUTPUT], sig),
      ]) {
        await expect(call).to.be.revertedWithCustomError(f.escrow, "InvalidBatch");
      }
    });

    it("InvalidBatch for mixed modes; ModeNotVerifiedAtSubmission for an optimistic batch", async function () {
      const a = await claimed();
      const b = await claimed(f.node, { inputDigest: id("b") });
      const sig = await f.enclave.signBatch(f.teeDomain, escrowAddr, [a.job, b.job], [OUTPUT, OUTPUT]);
      await expect(
        f.escrow
          .connect(f.node)
          .submitBatch([a.job, { ...b.job, mode: BigInt(Mode.ZK) }], [a.claim, b.claim], [OUTPUT, OUTPUT], sig),
      ).to.be.revertedWithCustomError(f.escrow, "InvalidBatch");
      const opt = { ...a.job, mode: BigInt(Mode.OPTIMISTIC) };
      await expect(f.escrow.connect(f.node).submitBatch([opt], [a.claim], [OUTPUT], sig))
        .to.be.revertedWithCustomError(f.escrow, "ModeNotVerifiedAtSubmission")
        .withArgs(a.jobId, Mode.OPTIMISTIC);
    });

    it("a batch signature over other jobs or outputs is refused, and nothing settles", async function () {
      const a = await claimed();
      const b = await claimed(f.node, { inputDigest: id("b") });
      const c = await claimed(f.node, { inputDigest: id("c") });
      const sig = await f.enclave.signBatch(f.teeDomain, escrowAddr, [a.job, b.job], [OUTPUT, OUTPUT]);
      await expect(
        f.escrow.connect(f.node).submitBatch([a.job, c.job], [a.claim, c.claim], [OUTPUT, OUTPUT], sig),
      ).to.be.revertedWithCustomError(f.tee, "UnknownEnclaveKey");
      await expect(
        f.escrow.connect(f.node).submitBatch([a.job, b.job], [a.claim, b.claim], [OUTPUT, OUTPUT2], sig),
      ).to.be.revertedWithCustomError(f.tee, "UnknownEnclaveKey");
      // Order matters too.
      await expect(
        f.escrow.connect(f.node).submitBatch([b.job, a.job], [b.claim, a.claim], [OUTPUT, OUTPUT], sig),
      ).to.be.revertedWithCustomError(f.tee, "UnknownEnclaveKey");
      for (const j of [a, b, c]) expect(await f.escrow.jobStatus(j.jobId)).to.equal(JobStatus.Claimed);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(3n * MIN_COLLATERAL);
    });

    it("one job of a batch failing its checks reverts the whole batch", async function () {
      const a = await claimed();
      const b = await claimed(f.node2, { inputDigest: id("b") });
      const sig = await f.enclave.signBatch(f.teeDomain, escrowAddr, [a.job, b.job], [OUTPUT, OUTPUT]);
      await expect(f.escrow.connect(f.node).submitBatch([a.job, b.job], [a.claim, b.claim], [OUTPUT, OUTPUT], sig))
        .to.be.revertedWithCustomError(f.escrow, "NotClaimer")
        .withArgs(b.jobId, f.node.address, f.node2.address);
      expect(await f.escrow.jobStatus(a.jobId)).to.equal(JobStatus.Claimed);
    });
  });

  // ------------------------------------------------------------------------------------------------ royalties, fees

  describe("royalties and protocol fees", function () {
    async function settleOne(o: Parameters<TeeFixture["request"]>[0] = {}) {
      const { jobId, job } = await f.request(o);
      await f.escrow.connect(f.node).submitResult(job, NO_CLAIM, OUTPUT, await sign(job));
      return { jobId, job };
    }

    it("the fee split of an odd payment is exact to the unit (fee = floor(p * 250 / 1e4))", async function () {
      const payment = 1_234_567n;
      const { jobId, job } = await f.request({ payment });
      const protocolFee = (payment * 250n) / 10_000n;
      expect(protocolFee).to.equal(30_864n);
      const nodeFee = payment - ROYALTY - protocolFee;
      expect(nodeFee).to.equal(1_153_703n);
      await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, OUTPUT, await sign(job)))
        .to.emit(f.escrow, "JobSettled")
        .withArgs(jobId, f.node.address, keccak256(OUTPUT), OUTPUT, nodeFee, ROYALTY, protocolFee);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(nodeFee);
      const accrual = await f.escrow.accrualOf(f.modelId);
      expect(accrual.royalties).to.equal(ROYALTY);
      expect(accrual.protocolFees).to.equal(protocolFee);
      expect(nodeFee + accrual.royalties + accrual.protocolFees).to.equal(payment);
    });

    it("withdrawRoyalties: only the model owner, once, to any receiver", async function () {
      await expect(
        f.escrow.connect(f.modelOwner).withdrawRoyalties(f.modelId, f.modelOwner.address),
      ).to.be.revertedWithCustomError(f.escrow, "NothingToWithdraw");
      await settleOne();
      await settleOne({ inputDigest: id("2") });
      await expect(f.escrow.connect(f.other).withdrawRoyalties(f.modelId, f.other.address))
        .to.be.revertedWithCustomError(f.escrow, "NotModelOwner")
        .withArgs(f.modelId, f.other.address);
      await expect(
        f.escrow.connect(f.modelOwner).withdrawRoyalties(f.modelId, ZeroAddress),
      ).to.be.revertedWithCustomError(f.escrow, "ZeroAddress");
      const tx = await f.escrow.connect(f.modelOwner).withdrawRoyalties(f.modelId, f.other.address);
      await expect(tx)
        .to.emit(f.escrow, "RoyaltiesWithdrawn")
        .withArgs(f.modelId, f.modelOwner.address, f.other.address, 2n * ROYALTY);
      await expect(tx).to.changeTokenBalances(ethers, f.usd, [f.escrow, f.other], [-2n * ROYALTY, 2n * ROYALTY]);
      expect((await f.escrow.accrualOf(f.modelId)).royalties).to.equal(0n);
      // The protocol's share is untouched.
      expect((await f.escrow.accrualOf(f.modelId)).protocolFees).to.equal(
        2n * split({ payment: PAYMENT, royalty: ROYALTY, feeBps: FEE_BPS }).protocolFee,
      );
      await expect(
        f.escrow.connect(f.modelOwner).withdrawRoyalties(f.modelId, f.modelOwner.address),
      ).to.be.revertedWithCustomError(f.escrow, "NothingToWithdraw");
      // No such model.
      await expect(f.escrow.connect(f.other).withdrawRoyalties(7n, f.other.address))
        .to.be.revertedWithCustomError(f.escrow, "NotModelOwner")
        .withArgs(7n, f.other.address);
    });

    it("royalties follow the model token: after a transfer only the new owner withdraws", async function () {
      await settleOne();
      await f.registry.connect(f.modelOwner).transferFrom(f.modelOwner.address, f.other.address, f.modelId);
      await expect(f.escrow.connect(f.modelOwner).withdrawRoyalties(f.modelId, f.modelOwner.address))
        .to.be.revertedWithCustomError(f.escrow, "NotModelOwner")
        .withArgs(f.modelId, f.modelOwner.address);
      await expect(f.escrow.connect(f.other).withdrawRoyalties(f.modelId, f.other.address)).to.changeTokenBalances(
        ethers,
        f.usd,
        [f.other, f.modelOwner],
        [ROYALTY, 0n],
      );
    });

    it("collectProtocolFees sends every listed model's fees to the treasury, once", async function () {
      await expect(f.escrow.connect(f.other).collectProtocolFees([f.modelId])).to.be.revertedWithCustomError(
        f.escrow,
        "NothingToWithdraw",
      );
      await expect(f.escrow.connect(f.other).collectProtocolFees([])).to.be.revertedWithCustomError(
        f.escrow,
        "NothingToWithdraw",
      );
      await f.registry.connect(f.other).createModel("ipfs://model-2");
      const model2 = 2n;
      const v2 = await publishVersion(f.registry, f.other, model2, { royalty: USD(0.1) });
      const a = await settleOne({ payment: USD(2) });
      const b = await settleOne({ versionId: v2, payment: USD(3) });
      const fees = split(a.job).protocolFee + split(b.job).protocolFee;
      expect(split(b.job).protocolFee).to.equal(USD(0.075));
      // A duplicated id pays nothing twice; anyone can trigger the collection.
      const tx = await f.escrow.connect(f.other).collectProtocolFees([f.modelId, model2, f.modelId]);
      await expect(tx).to.emit(f.escrow, "ProtocolFeesCollected").withArgs(f.treasury.address, fees);
      await expect(tx).to.changeTokenBalances(ethers, f.usd, [f.escrow, f.treasury, f.other], [-fees, fees, 0n]);
      expect((await f.escrow.accrualOf(model2)).protocolFees).to.equal(0n);
      expect((await f.escrow.accrualOf(model2)).royalties).to.equal(USD(0.1));
      await expect(f.escrow.connect(f.other).collectProtocolFees([f.modelId, model2])).to.be.revertedWithCustomError(
        f.escrow,
        "NothingToWithdraw",
      );
    });

    it("the escrow holds exactly balances + open payments + accruals after a mixed history", async function () {
      const settled = await settleOne();
      const open = await f.request({ payment: USD(2) });
      const cancelled = await f.request({ payment: USD(3) });
      await cancelJob(f.escrow, f.requester, cancelled.job, time);
      const c = await claimed(f.node2, { payment: USD(4) });
      await f.escrow.connect(f.modelOwner).withdrawRoyalties(f.modelId, f.modelOwner.address);
      const accrual = await f.escrow.accrualOf(f.modelId);
      const balances =
        (await f.escrow.balanceOf(f.requester.address)) +
        (await f.escrow.balanceOf(f.node.address)) +
        (await f.escrow.balanceOf(f.node2.address));
      const openPayments = open.job.payment + c.job.payment;
      expect(await f.usd.balanceOf(escrowAddr)).to.equal(
        balances + openPayments + accrual.royalties + accrual.protocolFees,
      );
      expect(accrual.protocolFees).to.equal(split(settled.job).protocolFee);
    });
  });

  // ------------------------------------------------------------------------------------------------ governance

  describe("governance", function () {
    it("setProtocolFee up to 10 %, FeeTooHigh above", async function () {
      await expect(f.escrow.connect(f.governance).setProtocolFee(MAX_PROTOCOL_FEE_BPS))
        .to.emit(f.escrow, "ProtocolFeeSet")
        .withArgs(MAX_PROTOCOL_FEE_BPS);
      expect((await f.escrow.config()).feeBps).to.equal(MAX_PROTOCOL_FEE_BPS);
      await expect(f.escrow.connect(f.governance).setProtocolFee(MAX_PROTOCOL_FEE_BPS + 1n))
        .to.be.revertedWithCustomError(f.escrow, "FeeTooHigh")
        .withArgs(MAX_PROTOCOL_FEE_BPS + 1n, MAX_PROTOCOL_FEE_BPS);
      await f.escrow.connect(f.governance).setProtocolFee(0);
      const { job } = await f.request();
      expect(job.feeBps).to.equal(0n);
      expect(split(job).protocolFee).to.equal(0n);
    });

    it("setCollateralRate within [0, 100_000] bps, CollateralRateOutOfBounds above", async function () {
      await expect(f.escrow.connect(f.governance).setCollateralRate(100_000))
        .to.emit(f.escrow, "CollateralRateSet")
        .withArgs(100_000);
      await expect(f.escrow.connect(f.governance).setCollateralRate(100_001))
        .to.be.revertedWithCustomError(f.escrow, "CollateralRateOutOfBounds")
        .withArgs(100_001, 0, 100_000);
      await f.escrow.connect(f.governance).setCollateralRate(0);
      expect((await f.escrow.config()).collateralPerPaymentBps).to.equal(0n);
      const v = await publishVersion(f.registry, f.modelOwner, f.modelId);
      const { job } = await f.request({ versionId: v });
      expect(job.collateral).to.equal(0n);
    });

    it("only the owner sets parameters (OwnableUnauthorizedAccount)", async function () {
      for (const call of [
        f.escrow.connect(f.other).setProtocolFee(1),
        f.escrow.connect(f.other).setCollateralRate(1),
        f.escrow.connect(f.other).setPaused(true),
        f.escrow.connect(f.deployer).setPaused(true),
      ]) {
        await expect(call).to.be.revertedWithCustomError(f.escrow, "OwnableUnauthorizedAccount");
      }
      await expect(f.escrow.connect(f.other).setProtocolFee(1))
        .to.be.revertedWithCustomError(f.escrow, "OwnableUnauthorizedAccount")
        .withArgs(f.other.address);
      expect(await f.escrow.owner()).to.equal(f.governance.address);
    });

    it("a fee or collateral change never alters a job already open", async function () {
      // A version without a minimum collateral, so that the rate sets it.
      const v = await publishVersion(f.registry, f.modelOwner, f.modelId, { royalty: ROYALTY });
      const { jobId, job } = await f.request({ versionId: v, payment: USD(10) });
      expect(job.feeBps).to.equal(FEE_BPS);
      expect(job.collateral).to.equal((USD(10) * RATE_BPS) / BPS);
      await f.escrow.connect(f.governance).setProtocolFee(1_000);
      await f.escrow.connect(f.governance).setCollateralRate(100_000);
      const claim = await claimJob(f.escrow, f.node, job);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal((USD(10) * RATE_BPS) / BPS);
      const oldFee = (USD(10) * FEE_BPS) / BPS;
      await expect(f.escrow.connect(f.node).submitResult(job, claim, OUTPUT, await sign(job)))
        .to.emit(f.escrow, "JobSettled")
        .withArgs(jobId, f.node.address, keccak256(OUTPUT), OUTPUT, USD(10) - ROYALTY - oldFee, ROYALTY, oldFee);
      // A tampered job claiming the new fee does not match the commitment.
      const next = await f.request({ versionId: v, payment: USD(10) });
      expect(next.job.feeBps).to.equal(1_000n);
      expect(next.job.collateral).to.equal(USD(10) * 10n);
      await expect(f.escrow.connect(f.node).claim({ ...next.job, feeBps: FEE_BPS }))
        .to.be.revertedWithCustomError(f.escrow, "JobMismatch")
        .withArgs(next.jobId);
    });
  });

  // ------------------------------------------------------------------------------------------------ verifier outcomes

  describe("verifier outcomes (a stand-in ZK verifier module)", function () {
    let z: MockZkSuite;
    let zAddr: string;
    beforeEach(async function () {
      z = await networkHelpers.loadFixture(zkFixture);
      zAddr = await z.escrow.getAddress();
      await z.usd.mint(z.requester.address, USD(100));
      await z.usd.connect(z.requester).approve(zAddr, USD(100));
    });

    const requestZk = async (mode: number = Mode.ZK, inputDigest = INPUT_DIGEST) =>
      jobOf(
        z.escrow,
        z.escrow
          .connect(z.requester)
          .requestInferenceWithTransfer(requestParams(z, await now(), { mode, inputDigest })),
      );

    it("a result the verifier accepts settles; any answer but its selector is ResultRejected", async function () {
      const a = await requestZk();
      expect(await z.escrow.verifierOf(Mode.ZK)).to.equal(await z.zk.getAddress());
      await expect(z.escrow.connect(z.node).submitResult(a.job, NO_CLAIM, OUTPUT, "0x")).to.emit(
        z.escrow,
        "JobSettled",
      );
      expect(await z.escrow.jobStatus(a.jobId)).to.equal(JobStatus.Settled);

      await z.zk.setReject(true);
      const b = await requestZk(Mode.ZK, id("b"));
      await expect(z.escrow.connect(z.node).submitResult(b.job, NO_CLAIM, OUTPUT, "0x"))
        .to.be.revertedWithCustomError(z.escrow, "ResultRejected")
        .withArgs(b.jobId);
      const c = await requestZk(Mode.ZK, id("c"));
      await expect(z.escrow.connect(z.node).submitBatch([b.job, c.job], [NO_CLAIM, NO_CLAIM], [OUTPUT, OUTPUT], "0x"))
        .to.be.revertedWithCustomError(z.escrow, "ResultRejected")
        .withArgs(b.jobId);
      expect(await z.escrow.jobStatus(b.jobId)).to.equal(JobStatus.Open);
    });

    it("a batch of two ZK jobs settles with one proof", async function () {
      const a = await requestZk();
      const b = await requestZk(Mode.ZK, id("b"));
      await z.escrow.connect(z.node).submitBatch([a.job, b.job], [NO_CLAIM, NO_CLAIM], [OUTPUT, OUTPUT2], "0x");
      expect(await z.escrow.jobStatus(a.jobId)).to.equal(JobStatus.Settled);
      expect(await z.escrow.jobStatus(b.jobId)).to.equal(JobStatus.Settled);
      expect(await z.escrow.balanceOf(z.node.address)).to.equal(split(a.job).nodeFee + split(b.job).nodeFee);
    });

    it("a batch that mixes a real TEE job and a real ZK job is InvalidBatch", async function () {
      const tee = await requestZk(Mode.TEE);
      const zk = await requestZk(Mode.ZK, id("zk"));
      await expect(
        z.escrow.connect(z.node).submitBatch([zk.job, tee.job], [NO_CLAIM, NO_CLAIM], [OUTPUT, OUTPUT], "0x"),
      ).to.be.revertedWithCustomError(z.escrow, "InvalidBatch");
      await expect(
        z.escrow.connect(z.node).submitBatch([tee.job, zk.job], [NO_CLAIM, NO_CLAIM], [OUTPUT, OUTPUT], "0x"),
      ).to.be.revertedWithCustomError(z.escrow, "InvalidBatch");
    });
  });

  // ------------------------------------------------------------------------------------------------ wiring

  describe("deployment wiring and dispute-manager entry points", function () {
    async function constructorArgs(o: Partial<Record<"token" | "registry" | "staking" | "treasury", string>> = {}) {
      return [
        o.token ?? (await f.usd.getAddress()),
        o.registry ?? (await f.registry.getAddress()),
        o.staking ?? (await f.staking.getAddress()),
        o.treasury ?? f.treasury.address,
        await f.teeVerifier.getAddress(),
        await f.zkVerifier.getAddress(),
        { feeBps: FEE_BPS, collateralPerPaymentBps: RATE_BPS, paused: false, challengeWindow: 3600n },
        f.governance.address,
      ];
    }

    it("the constructor rejects a zero token, registry, staking or treasury address", async function () {
      const factory = await ethers.getContractFactory("InferenceEscrow");
      for (const zero of ["token", "registry", "staking", "treasury"] as const) {
        await expect(
          factory.deploy(...((await constructorArgs({ [zero]: ZeroAddress })) as Parameters<typeof factory.deploy>)),
          zero,
        ).to.be.revertedWithCustomError(factory, "ZeroAddress");
      }
    });

    it("binds the dispute manager once, by the deployer, to a non-zero address", async function () {
      const fresh = (await ethers.deployContract(
        "InferenceEscrow",
        await constructorArgs(),
        f.other,
      )) as unknown as InferenceEscrow;
      await expectOneTimeBinding(
        f.escrow,
        await f.disputes.getAddress(),
        [f.deployer, f.other],
        fresh,
        f.other,
        f.node.address,
      );
    });

    it("a deposit that would take a balance above uint128 reverts with AmountTooLarge", async function () {
      const tooMuch = 2n ** 128n;
      await expect(f.escrow.connect(f.other).deposit(f.requester.address, tooMuch))
        .to.be.revertedWithCustomError(f.escrow, "AmountTooLarge")
        .withArgs(tooMuch);
      expect(await f.escrow.balanceOf(f.requester.address)).to.be.lessThan(tooMuch);
    });

    it("markDisputed, resolveDispute and slashForEquivocation are for the dispute manager only", async function () {
      const { job, claim } = await claimed();
      const proposal = { outputHash: keccak256(OUTPUT), challengeEnds: 0n };
      await expect(f.escrow.connect(f.other).markDisputed(job, claim, proposal, f.other.address))
        .to.be.revertedWithCustomError(f.escrow, "NotDisputeManager")
        .withArgs(f.other.address);
      await expect(f.escrow.connect(f.other).resolveDispute(job, claim, proposal, 1, f.other.address, 0, OUTPUT))
        .to.be.revertedWithCustomError(f.escrow, "NotDisputeManager")
        .withArgs(f.other.address);
      await expect(f.escrow.connect(f.node).slashForEquivocation(f.node.address, 1n, f.other.address, 0))
        .to.be.revertedWithCustomError(f.escrow, "NotDisputeManager")
        .withArgs(f.node.address);
    });

    it("setChallengeWindow within [MIN, MAX], ChallengeWindowOutOfBounds outside", async function () {
      for (const w of [MIN_CHALLENGE_WINDOW_SECONDS - 1n, MAX_CHALLENGE_WINDOW_SECONDS + 1n]) {
        await expect(f.escrow.connect(f.governance).setChallengeWindow(w))
          .to.be.revertedWithCustomError(f.escrow, "ChallengeWindowOutOfBounds")
          .withArgs(w, MIN_CHALLENGE_WINDOW_SECONDS, MAX_CHALLENGE_WINDOW_SECONDS);
      }
      await expect(f.escrow.connect(f.governance).setChallengeWindow(MAX_CHALLENGE_WINDOW_SECONDS))
        .to.emit(f.escrow, "ChallengeWindowSet")
        .withArgs(MAX_CHALLENGE_WINDOW_SECONDS);
      expect((await f.escrow.config()).challengeWindow).to.equal(MAX_CHALLENGE_WINDOW_SECONDS);
    });
  });
});
