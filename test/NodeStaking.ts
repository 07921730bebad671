import { expect } from "chai";
import { network } from "hardhat";
import { AbiCoder, ZeroAddress } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import {
  BPS,
  MAX_UNBONDING_PERIOD_SECONDS,
  MIN_UNBONDING_PERIOD_SECONDS,
  MISSED_DEADLINE_REQUESTER_SHARE_BPS,
  Mode,
  modeBit,
} from "./helpers/constants.js";
import { claimOf, type Claim, type Job } from "../src/jobs.js";
import type { MockCollateralLedger, NodeStaking, VeritasToken } from "../typechain-types/index.js";
import { deployTeeFixture, MIN_COLLATERAL, NODE_STAKE, VRT, type TeeFixture } from "./helpers/fixtures.js";
import { signPermit } from "./helpers/permit.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const fixture = () => deployTeeFixture(ethers, networkHelpers);
const MIN_STAKE = VRT(1_000);
const UNBONDING = 14n * 24n * 3600n;
const UINT96_MAX = 2n ** 96n - 1n;
const TEE = modeBit(Mode.TEE);
const ZK = modeBit(Mode.ZK);
const OPT = modeBit(Mode.OPTIMISTIC);
const OUTPUT = AbiCoder.defaultAbiCoder().encode(["int256[]"], [[1n, 2n, 3n, 4n]]);

/** A NodeStaking of its own (VeritasToken, deployer = `deployer`, owner = `governance`), with a mock escrow. */
async function standaloneFixture() {
  const [deployer, governance, treasury, node, other, beneficiary] = await ethers.getSigners();
  const token = (await ethers.deployContract("VeritasToken", [
    deployer.address,
    2n ** 100n,
  ])) as unknown as VeritasToken;
  const staking = (await ethers.deployContract("NodeStaking", [
    await token.getAddress(),
    MIN_STAKE,
    UNBONDING,
    treasury.address,
    governance.address,
  ])) as unknown as NodeStaking;
  const ledger = (await ethers.deployContract("MockCollateralLedger")) as unknown as MockCollateralLedger;
  await token.approve(await staking.getAddress(), 2n ** 100n);
  return { token, staking, ledger, deployer, governance, treasury, node, other, beneficiary };
}

/** The standalone staking bound to the mock escrow, with `node` registered and staked 1 000 VRT. */
async function boundFixture() {
  const f = await standaloneFixture();
  await f.staking.bindEscrow(await f.ledger.getAddress());
  await f.staking.connect(f.node).registerNode("https://node", TEE);
  await f.staking.stake(f.node.address, VRT(1_000));
  return f;
}

/** staking token held == Σ (staked + thawing) + Σ rewards, over the given accounts (which must cover all). */
async function expectFullyBacked(
  token: { balanceOf(a: string): Promise<bigint> },
  staking: NodeStaking,
  nodes: string[],
  rewardAccounts: string[],
) {
  let owed = 0n;
  for (const n of nodes) owed += await staking.totalStakeOf(n);
  for (const a of rewardAccounts) owed += await staking.rewardsOf(a);
  expect(await token.balanceOf(await staking.getAddress())).to.equal(owed);
}

/** Sends `tx` in a block whose timestamp is `ts`. */
async function at<T>(ts: bigint, tx: () => Promise<T>): Promise<T> {
  await time.setNextBlockTimestamp(ts);
  return tx();
}

describe("NodeStaking", function () {
  describe("constructor", function () {
    it("stores its parameters and emits UnbondingPeriodSet", async function () {
      const { token, staking, treasury, governance } = await networkHelpers.loadFixture(standaloneFixture);
      expect(await staking.stakingToken()).to.equal(await token.getAddress());
      expect(await staking.minStake()).to.equal(MIN_STAKE);
      expect(await staking.unbondingPeriod()).to.equal(UNBONDING);
      expect(await staking.treasury()).to.equal(treasury.address);
      expect(await staking.owner()).to.equal(governance.address);
      expect(await staking.escrow()).to.equal(ZeroAddress);
      const receipt = await staking.deploymentTransaction()!.wait();
      const logs = receipt!.logs.map((l) => staking.interface.parseLog(l)).filter((l) => l !== null);
      expect(logs.map((l) => [l.name, ...l.args])).to.deep.include(["UnbondingPeriodSet", UNBONDING]);
    });

    it("rejects a zero token or treasury, a zero minimum stake and an unbonding period out of bounds", async function () {
      const { token, treasury, governance } = await networkHelpers.loadFixture(standaloneFixture);
      const factory = await ethers.getContractFactory("NodeStaking");
      const t = await token.getAddress();
      await expect(
        factory.deploy(ZeroAddress, MIN_STAKE, UNBONDING, treasury.address, governance.address),
      ).to.be.revertedWithCustomError(factory, "ZeroAddress");
      await expect(
        factory.deploy(t, MIN_STAKE, UNBONDING, ZeroAddress, governance.address),
      ).to.be.revertedWithCustomError(factory, "ZeroAddress");
      await expect(
        factory.deploy(t, 0n, UNBONDING, treasury.address, governance.address),
      ).to.be.revertedWithCustomError(factory, "ZeroAmount");
      for (const p of [0n, MIN_UNBONDING_PERIOD_SECONDS - 1n, MAX_UNBONDING_PERIOD_SECONDS + 1n, 2n ** 40n - 1n]) {
        await expect(factory.deploy(t, MIN_STAKE, p, treasury.address, governance.address))
          .to.be.revertedWithCustomError(factory, "UnbondingPeriodOutOfBounds")
          .withArgs(p, MIN_UNBONDING_PERIOD_SECONDS, MAX_UNBONDING_PERIOD_SECONDS);
      }
      await expect(factory.deploy(t, MIN_STAKE, UNBONDING, treasury.address, ZeroAddress))
        .to.be.revertedWithCustomError(factory, "OwnableInvalidOwner")
        .withArgs(ZeroAddress);
      // The bounds themselves are accepted.
      for (const p of [MIN_UNBONDING_PERIOD_SECONDS, MAX_UNBONDING_PERIOD_SECONDS]) {
        const s = await factory.deploy(t, MIN_STAKE, p, treasury.address, governance.address);
        expect(await s.unbondingPeriod()).to.equal(p);
      }
    });
  });

  describe("registerNode / updateNode", function () {
    it("registers a node with its endpoint and capabilities", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      expect(await f.staking.getNode(f.other.address)).to.deep.equal([0n, 0n, 0n, 0n, false]);
      expect(await f.staking.endpointOf(f.other.address)).to.equal("");
      await expect(f.staking.connect(f.other).registerNode("https://other.example", TEE | OPT))
        .to.emit(f.staking, "NodeRegistered")
        .withArgs(f.other.address, "https://other.example", TEE | OPT);
      const n = await f.staking.getNode(f.other.address);
      expect([n.staked, n.thawing, n.thawEnd, n.capabilities, n.registered]).to.deep.equal([
        0n,
        0n,
        0n,
        BigInt(TEE | OPT),
        true,
      ]);
      expect(await f.staking.endpointOf(f.other.address)).to.equal("https://other.example");
      expect(await f.staking.isActive(f.other.address)).to.equal(false);
    });

    it("reverts with NodeAlreadyRegistered on a second registration", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(f.staking.connect(f.node).registerNode("https://again", TEE))
        .to.be.revertedWithCustomError(f.staking, "NodeAlreadyRegistered")
        .withArgs(f.node.address);
    });

    it("accepts every combination of known modes and rejects any other mask with InvalidCapabilities", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      for (const caps of [0, 1, 1 | TEE, 1 << 4, 1 << 8, 1 << 15, 0xffff, TEE | (1 << 5)]) {
        await expect(f.staking.connect(f.other).registerNode("x", caps))
          .to.be.revertedWithCustomError(f.staking, "InvalidCapabilities")
          .withArgs(caps);
        await expect(f.staking.connect(f.node).updateNode("x", caps))
          .to.be.revertedWithCustomError(f.staking, "InvalidCapabilities")
          .withArgs(caps);
      }
      for (const caps of [TEE, ZK, OPT, TEE | ZK, ZK | OPT, TEE | ZK | OPT]) {
        await expect(f.staking.connect(f.node).updateNode("x", caps)).to.emit(f.staking, "NodeUpdated");
        expect((await f.staking.getNode(f.node.address)).capabilities).to.equal(BigInt(caps));
      }
    });

    it("updates the endpoint and capabilities and keeps the stake", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(f.staking.connect(f.node).updateNode("https://new.example", ZK | OPT))
        .to.emit(f.staking, "NodeUpdated")
        .withArgs(f.node.address, "https://new.example", ZK | OPT);
      const n = await f.staking.getNode(f.node.address);
      expect([n.staked, n.capabilities, n.registered]).to.deep.equal([NODE_STAKE, BigInt(ZK | OPT), true]);
      expect(await f.staking.endpointOf(f.node.address)).to.equal("https://new.example");
      expect(await f.staking.endpointOf(f.node2.address)).to.not.equal("https://new.example");
    });

    it("reverts updateNode with NodeNotRegistered for an unregistered caller", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(f.staking.connect(f.other).updateNode("x", TEE))
        .to.be.revertedWithCustomError(f.staking, "NodeNotRegistered")
        .withArgs(f.other.address);
    });
  });

  describe("stake", function () {
    it("lets anyone top up a registered node", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const stakingAddress = await f.staking.getAddress();
      await f.token.connect(f.deployer).transfer(f.other.address, VRT(500));
      await f.token.connect(f.other).approve(stakingAddress, VRT(500));
      const before = await f.token.balanceOf(stakingAddress);
      await expect(f.staking.connect(f.other).stake(f.node.address, VRT(500)))
        .to.emit(f.staking, "Staked")
        .withArgs(f.node.address, f.other.address, VRT(500))
        .and.to.emit(f.token, "Transfer")
        .withArgs(f.other.address, stakingAddress, VRT(500));
      expect((await f.staking.getNode(f.node.address)).staked).to.equal(NODE_STAKE + VRT(500));
      expect(await f.staking.totalStakeOf(f.node.address)).to.equal(NODE_STAKE + VRT(500));
      expect(await f.token.balanceOf(stakingAddress)).to.equal(before + VRT(500));
      expect(await f.token.balanceOf(f.other.address)).to.equal(0n);
      expect((await f.staking.getNode(f.other.address)).staked).to.equal(0n);
      await expectFullyBacked(f.token, f.staking, [f.node.address, f.node2.address], []);
    });

    it("reverts with ZeroAmount and NodeNotRegistered", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(f.staking.connect(f.deployer).stake(f.node.address, 0n)).to.be.revertedWithCustomError(
        f.staking,
        "ZeroAmount",
      );
      await expect(f.staking.connect(f.deployer).stake(f.other.address, VRT(1)))
        .to.be.revertedWithCustomError(f.staking, "NodeNotRegistered")
        .withArgs(f.other.address);
      await expect(f.staking.connect(f.deployer).stake(ZeroAddress, VRT(1)))
        .to.be.revertedWithCustomError(f.staking, "NodeNotRegistered")
        .withArgs(ZeroAddress);
    });

    it("reverts with AmountTooLarge when active plus thawing stake would exceed uint96", async function () {
      const { staking, node } = await networkHelpers.loadFixture(boundFixture);
      // node has 1 000 VRT; 500 of them thawing still count.
      await staking.connect(node).requestUnstake(VRT(500));
      const room = UINT96_MAX - VRT(1_000);
      for (const amount of [room + 1n, 2n ** 96n, 2n ** 255n, 2n ** 256n - 1n]) {
        await expect(staking.stake(node.address, amount))
          .to.be.revertedWithCustomError(staking, "AmountTooLarge")
          .withArgs(amount);
      }
      await expect(staking.stake(node.address, room))
        .to.emit(staking, "Staked")
        .withArgs(node.address, (await ethers.getSigners())[0].address, room);
      expect(await staking.totalStakeOf(node.address)).to.equal(UINT96_MAX);
      await expect(staking.stake(node.address, 1n))
        .to.be.revertedWithCustomError(staking, "AmountTooLarge")
        .withArgs(1n);
    });

    it("reverts when the payer has not approved enough", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(f.staking.connect(f.other).stake(f.node.address, VRT(1)))
        .to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance")
        .withArgs(await f.staking.getAddress(), 0n, VRT(1));
    });
  });

  describe("stakeWithPermit", function () {
    async function permitFixture() {
      const f = await deployTeeFixture(ethers, networkHelpers);
      await f.token.connect(f.deployer).transfer(f.node.address, VRT(300));
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await signPermit(f.token, f.node, await f.staking.getAddress(), VRT(300), deadline);
      return { ...f, deadline, sig };
    }

    it("stakes with a permit signed by the node, without a prior approval", async function () {
      const f = await networkHelpers.loadFixture(permitFixture);
      const stakingAddress = await f.staking.getAddress();
      expect(await f.token.allowance(f.node.address, stakingAddress)).to.equal(0n);
      await expect(
        f.staking.connect(f.node).stakeWithPermit(f.node.address, VRT(300), f.deadline, f.sig.v, f.sig.r, f.sig.s),
      )
        .to.emit(f.staking, "Staked")
        .withArgs(f.node.address, f.node.address, VRT(300))
        .and.to.emit(f.token, "Approval")
        .withArgs(f.node.address, stakingAddress, VRT(300));
      expect(await f.token.nonces(f.node.address)).to.equal(1n);
      expect(await f.token.allowance(f.node.address, stakingAddress)).to.equal(0n);
      expect(await f.token.balanceOf(f.node.address)).to.equal(0n);
      expect((await f.staking.getNode(f.node.address)).staked).to.equal(NODE_STAKE + VRT(300));
    });

    it("still stakes when the permit was front-run (used already)", async function () {
      const f = await networkHelpers.loadFixture(permitFixture);
      const stakingAddress = await f.staking.getAddress();
      await f.token
        .connect(f.other)
        .permit(f.node.address, stakingAddress, VRT(300), f.deadline, f.sig.v, f.sig.r, f.sig.s);
      expect(await f.token.nonces(f.node.address)).to.equal(1n);
      await expect(
        f.staking.connect(f.node).stakeWithPermit(f.node.address, VRT(300), f.deadline, f.sig.v, f.sig.r, f.sig.s),
      )
        .to.emit(f.staking, "Staked")
        .withArgs(f.node.address, f.node.address, VRT(300));
      expect(await f.token.nonces(f.node.address)).to.equal(1n);
      expect((await f.staking.getNode(f.node.address)).staked).to.equal(NODE_STAKE + VRT(300));
    });

    it("can top up another node", async function () {
      const f = await networkHelpers.loadFixture(permitFixture);
      await expect(
        f.staking.connect(f.node).stakeWithPermit(f.node2.address, VRT(300), f.deadline, f.sig.v, f.sig.r, f.sig.s),
      )
        .to.emit(f.staking, "Staked")
        .withArgs(f.node2.address, f.node.address, VRT(300));
      expect((await f.staking.getNode(f.node2.address)).staked).to.equal(NODE_STAKE + VRT(300));
      expect((await f.staking.getNode(f.node.address)).staked).to.equal(NODE_STAKE);
    });

    it("cannot be used by anyone but the permit's signer, nor once expired", async function () {
      const f = await networkHelpers.loadFixture(permitFixture);
      const stakingAddress = await f.staking.getAddress();
      // Relayed by `other`: the permit is tried for `other`, fails, and `other` has no allowance.
      await expect(
        f.staking.connect(f.other).stakeWithPermit(f.node.address, VRT(300), f.deadline, f.sig.v, f.sig.r, f.sig.s),
      )
        .to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance")
        .withArgs(stakingAddress, 0n, VRT(300));
      await time.increaseTo(f.deadline + 1n);
      await expect(
        f.staking.connect(f.node).stakeWithPermit(f.node.address, VRT(300), f.deadline, f.sig.v, f.sig.r, f.sig.s),
      )
        .to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance")
        .withArgs(stakingAddress, 0n, VRT(300));
      expect(await f.token.nonces(f.node.address)).to.equal(0n);
    });

    it("reverts with ZeroAmount and NodeNotRegistered like stake", async function () {
      const f = await networkHelpers.loadFixture(permitFixture);
      await expect(
        f.staking.connect(f.node).stakeWithPermit(f.other.address, VRT(300), f.deadline, f.sig.v, f.sig.r, f.sig.s),
      )
        .to.be.revertedWithCustomError(f.staking, "NodeNotRegistered")
        .withArgs(f.other.address);
      await expect(
        f.staking.connect(f.node).stakeWithPermit(f.node.address, 0n, f.deadline, f.sig.v, f.sig.r, f.sig.s),
      ).to.be.revertedWithCustomError(f.staking, "ZeroAmount");
    });
  });

  describe("requestUnstake", function () {
    it("moves stake to thawing until now + unbondingPeriod", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const t = BigInt(await time.latest()) + 10n;
      await expect(at(t, () => f.staking.connect(f.node).requestUnstake(VRT(4_000))))
        .to.emit(f.staking, "UnstakeRequested")
        .withArgs(f.node.address, VRT(4_000), VRT(4_000), t + UNBONDING);
      const n = await f.staking.getNode(f.node.address);
      expect([n.staked, n.thawing, n.thawEnd]).to.deep.equal([NODE_STAKE - VRT(4_000), VRT(4_000), t + UNBONDING]);
      expect(await f.staking.totalStakeOf(f.node.address)).to.equal(NODE_STAKE);
    });

    it("adds a second request to the thawing amount and restarts the timer for all of it", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const t1 = BigInt(await time.latest()) + 10n;
      await at(t1, () => f.staking.connect(f.node).requestUnstake(VRT(1_000)));
      const t2 = t1 + 3n * 24n * 3600n;
      await expect(at(t2, () => f.staking.connect(f.node).requestUnstake(VRT(2_000))))
        .to.emit(f.staking, "UnstakeRequested")
        .withArgs(f.node.address, VRT(2_000), VRT(3_000), t2 + UNBONDING);
      const n = await f.staking.getNode(f.node.address);
      expect([n.staked, n.thawing, n.thawEnd]).to.deep.equal([NODE_STAKE - VRT(3_000), VRT(3_000), t2 + UNBONDING]);
      // The first amount is no longer withdrawable at its original end.
      await time.setNextBlockTimestamp(t1 + UNBONDING);
      await expect(f.staking.connect(f.node).withdrawStake(f.node.address))
        .to.be.revertedWithCustomError(f.staking, "StakeStillThawing")
        .withArgs(f.node.address, t2 + UNBONDING);
    });

    it("can unstake everything, and reverts with InsufficientStake beyond it", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(f.staking.connect(f.node).requestUnstake(NODE_STAKE + 1n))
        .to.be.revertedWithCustomError(f.staking, "InsufficientStake")
        .withArgs(f.node.address, NODE_STAKE, NODE_STAKE + 1n);
      await f.staking.connect(f.node).requestUnstake(VRT(9_000));
      await expect(f.staking.connect(f.node).requestUnstake(VRT(1_000) + 1n))
        .to.be.revertedWithCustomError(f.staking, "InsufficientStake")
        .withArgs(f.node.address, VRT(1_000), VRT(1_000) + 1n);
      await f.staking.connect(f.node).requestUnstake(VRT(1_000));
      const n = await f.staking.getNode(f.node.address);
      expect([n.staked, n.thawing]).to.deep.equal([0n, NODE_STAKE]);
    });

    it("reverts with ZeroAmount and NodeNotRegistered", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(f.staking.connect(f.node).requestUnstake(0n)).to.be.revertedWithCustomError(f.staking, "ZeroAmount");
      await expect(f.staking.connect(f.other).requestUnstake(1n))
        .to.be.revertedWithCustomError(f.staking, "NodeNotRegistered")
        .withArgs(f.other.address);
    });
  });

  describe("withdrawStake", function () {
    it("reverts with StakeStillThawing before thawEnd and pays out the whole thawing amount from thawEnd on", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const stakingAddress = await f.staking.getAddress();
      const t = BigInt(await time.latest()) + 10n;
      await at(t, () => f.staking.connect(f.node).requestUnstake(VRT(4_000)));
      const thawEnd = t + UNBONDING;
      await time.setNextBlockTimestamp(thawEnd - 1n);
      await expect(f.staking.connect(f.node).withdrawStake(f.other.address))
        .to.be.revertedWithCustomError(f.staking, "StakeStillThawing")
        .withArgs(f.node.address, thawEnd);

      const before = await f.token.balanceOf(stakingAddress);
      await time.setNextBlockTimestamp(thawEnd);
      await expect(f.staking.connect(f.node).withdrawStake(f.other.address))
        .to.emit(f.staking, "StakeWithdrawn")
        .withArgs(f.node.address, f.other.address, VRT(4_000))
        .and.to.emit(f.token, "Transfer")
        .withArgs(stakingAddress, f.other.address, VRT(4_000));
      expect(await f.token.balanceOf(f.other.address)).to.equal(VRT(4_000));
      expect(await f.token.balanceOf(stakingAddress)).to.equal(before - VRT(4_000));
      const n = await f.staking.getNode(f.node.address);
      expect([n.staked, n.thawing]).to.deep.equal([VRT(6_000), 0n]);
      await expect(f.staking.connect(f.node).withdrawStake(f.node.address))
        .to.be.revertedWithCustomError(f.staking, "NothingThawing")
        .withArgs(f.node.address);
      await expectFullyBacked(f.token, f.staking, [f.node.address, f.node2.address], []);
    });

    it("reverts with NothingThawing and ZeroAddress", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(f.staking.connect(f.node).withdrawStake(f.node.address))
        .to.be.revertedWithCustomError(f.staking, "NothingThawing")
        .withArgs(f.node.address);
      await expect(f.staking.connect(f.other).withdrawStake(f.other.address))
        .to.be.revertedWithCustomError(f.staking, "NothingThawing")
        .withArgs(f.other.address);
      await f.staking.connect(f.node).requestUnstake(VRT(1));
      await time.increase(UNBONDING);
      await expect(f.staking.connect(f.node).withdrawStake(ZeroAddress)).to.be.revertedWithCustomError(
        f.staking,
        "ZeroAddress",
      );
    });

    describe("with collateral locked by the escrow", function () {
      const REMAINING = VRT(50);

      /** The node claims a job (locking MIN_COLLATERAL), then unstakes all but 50 VRT (the thaw is longer than the job's
       * whole delivery window: the minimum unbonding period exceeds every delivery and challenge window). */
      async function lockedFixture() {
        const f = await deployTeeFixture(ethers, networkHelpers);
        await f.staking.connect(f.governance).setUnbondingPeriod(MIN_UNBONDING_PERIOD_SECONDS);
        const now = BigInt(await time.latest());
        const { jobId, job } = await f.request({ deliveryWindow: 7n * 24n * 3600n, expiresAt: now + 8n * 24n * 3600n });
        const claim = claimOf(f.escrow, (await (await f.escrow.connect(f.node).claim(job)).wait())!.logs);
        await f.staking.connect(f.node).requestUnstake(NODE_STAKE - REMAINING);
        return { ...f, jobId, job, claim };
      }

      async function expectLocked(f: TeeFixture, remaining: bigint) {
        await expect(f.staking.connect(f.node).withdrawStake(f.node.address))
          .to.be.revertedWithCustomError(f.staking, "CollateralLocked")
          .withArgs(f.node.address, remaining, MIN_COLLATERAL);
      }

      it("reverts with CollateralLocked while the remaining stake is below the locked collateral", async function () {
        const f = await networkHelpers.loadFixture(lockedFixture);
        await time.increase(MIN_UNBONDING_PERIOD_SECONDS);
        expect(f.job.collateral).to.equal(MIN_COLLATERAL);
        expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(MIN_COLLATERAL);
        await expectLocked(f, REMAINING);
        // Another node's withdrawal is not affected by this node's lock.
        await f.staking.connect(f.node2).requestUnstake(VRT(1));
        await time.increase(MIN_UNBONDING_PERIOD_SECONDS);
        await expect(f.staking.connect(f.node2).withdrawStake(f.node2.address)).to.emit(f.staking, "StakeWithdrawn");
      });

      it("succeeds once the job settles", async function () {
        const f = await networkHelpers.loadFixture(lockedFixture);
        const sig = await f.enclave.signResult(f.teeDomain, await f.escrow.getAddress(), f.job, OUTPUT);
        await f.escrow.connect(f.node).submitResult(f.job, f.claim, OUTPUT, sig);
        expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
        await time.increase(MIN_UNBONDING_PERIOD_SECONDS);
        await expect(f.staking.connect(f.node).withdrawStake(f.node.address))
          .to.emit(f.staking, "StakeWithdrawn")
          .withArgs(f.node.address, f.node.address, NODE_STAKE - REMAINING);
        expect(await f.token.balanceOf(f.node.address)).to.equal(NODE_STAKE - REMAINING);
        expect(await f.staking.totalStakeOf(f.node.address)).to.equal(REMAINING);
      });

      it("succeeds once the remaining active stake covers the lock (equality included)", async function () {
        const f = await networkHelpers.loadFixture(lockedFixture);
        await time.increase(MIN_UNBONDING_PERIOD_SECONDS);
        await f.token.connect(f.deployer).approve(await f.staking.getAddress(), MIN_COLLATERAL);
        await f.staking.connect(f.deployer).stake(f.node.address, MIN_COLLATERAL - REMAINING - 1n);
        await expectLocked(f, MIN_COLLATERAL - 1n);
        await f.staking.connect(f.deployer).stake(f.node.address, 1n);
        await expect(f.staking.connect(f.node).withdrawStake(f.node.address))
          .to.emit(f.staking, "StakeWithdrawn")
          .withArgs(f.node.address, f.node.address, NODE_STAKE - REMAINING);
        // The lock is still there, fully covered by active stake.
        expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(MIN_COLLATERAL);
        expect(await f.staking.totalStakeOf(f.node.address)).to.equal(MIN_COLLATERAL);
      });

      it("succeeds after a missed-deadline slash that takes the active stake first, then thawing", async function () {
        const f = await networkHelpers.loadFixture(lockedFixture);
        await time.increase(MIN_UNBONDING_PERIOD_SECONDS);
        expect(BigInt(await time.latest())).to.be.greaterThan(f.claim.deliverBy);
        await f.escrow.connect(f.other).reportMissedDeadline(f.job, f.claim);
        const n = await f.staking.getNode(f.node.address);
        expect([n.staked, n.thawing]).to.deep.equal([0n, NODE_STAKE - MIN_COLLATERAL]);
        await expect(f.staking.connect(f.node).withdrawStake(f.node.address))
          .to.emit(f.staking, "StakeWithdrawn")
          .withArgs(f.node.address, f.node.address, NODE_STAKE - MIN_COLLATERAL);
        expect(await f.staking.totalStakeOf(f.node.address)).to.equal(0n);
      });
    });
  });

  describe("isActive / totalStakeOf", function () {
    it("is active only when registered with at least minStake of active (not thawing) stake", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      expect(await f.staking.minStake()).to.equal(MIN_STAKE);
      expect(await f.staking.isActive(f.node.address)).to.equal(true);
      expect(await f.staking.isActive(f.other.address)).to.equal(false);
      await f.staking.connect(f.node).requestUnstake(NODE_STAKE - MIN_STAKE);
      expect(await f.staking.isActive(f.node.address)).to.equal(true);
      await f.staking.connect(f.node).requestUnstake(1n);
      expect(await f.staking.isActive(f.node.address)).to.equal(false);
      expect(await f.staking.totalStakeOf(f.node.address)).to.equal(NODE_STAKE);

      // A newly registered node becomes active at exactly minStake.
      await f.staking.connect(f.other).registerNode("https://other", TEE);
      await f.token.connect(f.deployer).approve(await f.staking.getAddress(), MIN_STAKE);
      await f.staking.connect(f.deployer).stake(f.other.address, MIN_STAKE - 1n);
      expect(await f.staking.isActive(f.other.address)).to.equal(false);
      await f.staking.connect(f.deployer).stake(f.other.address, 1n);
      expect(await f.staking.isActive(f.other.address)).to.equal(true);
      expect(await f.staking.totalStakeOf(f.other.address)).to.equal(MIN_STAKE);
    });
  });

  describe("slash", function () {
    it("can only be called by the escrow", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      for (const s of [f.other, f.deployer, f.governance, f.node]) {
        await expect(f.staking.connect(s).slash(f.node.address, 1n, s.address, 0n))
          .to.be.revertedWithCustomError(f.staking, "NotEscrow")
          .withArgs(s.address);
      }
      const { staking, other } = await networkHelpers.loadFixture(standaloneFixture);
      // Before binding, nobody can slash (not even the zero address' stand-in).
      await expect(staking.connect(other).slash(other.address, 0n, other.address, 0n))
        .to.be.revertedWithCustomError(staking, "NotEscrow")
        .withArgs(other.address);
    });

    it("takes active stake first, then thawing, and splits reward and treasury share", async function () {
      const { token, staking, ledger, node, treasury, beneficiary } = await networkHelpers.loadFixture(boundFixture);
      await staking.connect(node).requestUnstake(VRT(400)); // 600 active, 400 thawing
      await expect(ledger.slash(await staking.getAddress(), node.address, VRT(500), beneficiary.address, 2_500n))
        .to.emit(staking, "Slashed")
        .withArgs(node.address, VRT(500), beneficiary.address, VRT(125), VRT(375));
      let n = await staking.getNode(node.address);
      expect([n.staked, n.thawing]).to.deep.equal([VRT(100), VRT(400)]);
      await expect(ledger.slash(await staking.getAddress(), node.address, VRT(300), beneficiary.address, 10_000n))
        .to.emit(staking, "Slashed")
        .withArgs(node.address, VRT(300), beneficiary.address, VRT(300), 0n);
      n = await staking.getNode(node.address);
      expect([n.staked, n.thawing]).to.deep.equal([0n, VRT(200)]);
      expect(await staking.rewardsOf(beneficiary.address)).to.equal(VRT(425));
      expect(await staking.rewardsOf(treasury.address)).to.equal(VRT(375));
      await expectFullyBacked(token, staking, [node.address], [beneficiary.address, treasury.address]);
    });

    it("rounds the reward down (the treasury gets the remainder) and can slash everything", async function () {
      const { token, staking, ledger, node, treasury, beneficiary } = await networkHelpers.loadFixture(boundFixture);
      const s = await staking.getAddress();
      await expect(ledger.slash(s, node.address, 3n, beneficiary.address, 5_000n))
        .to.emit(staking, "Slashed")
        .withArgs(node.address, 3n, beneficiary.address, 1n, 2n);
      await expect(ledger.slash(s, node.address, VRT(1_000) - 3n, beneficiary.address, 0n))
        .to.emit(staking, "Slashed")
        .withArgs(node.address, VRT(1_000) - 3n, beneficiary.address, 0n, VRT(1_000) - 3n);
      expect(await staking.totalStakeOf(node.address)).to.equal(0n);
      expect(await staking.rewardsOf(beneficiary.address)).to.equal(1n);
      expect(await staking.rewardsOf(treasury.address)).to.equal(VRT(1_000) - 1n);
      await expectFullyBacked(token, staking, [node.address], [beneficiary.address, treasury.address]);
    });

    it("reverts with ZeroAddress for a zero beneficiary and RewardTooHigh above 100 %", async function () {
      const { staking, ledger, node, beneficiary } = await networkHelpers.loadFixture(boundFixture);
      const s = await staking.getAddress();
      await expect(ledger.slash(s, node.address, 1n, ZeroAddress, 0n)).to.be.revertedWithCustomError(
        staking,
        "ZeroAddress",
      );
      await expect(ledger.slash(s, node.address, 1n, beneficiary.address, BPS + 1n))
        .to.be.revertedWithCustomError(staking, "RewardTooHigh")
        .withArgs(BPS + 1n);
    });

    it("reverts with SlashExceedsStake beyond active plus thawing stake", async function () {
      const { staking, ledger, node, beneficiary } = await networkHelpers.loadFixture(boundFixture);
      await staking.connect(node).requestUnstake(VRT(300));
      await expect(ledger.slash(await staking.getAddress(), node.address, VRT(1_000) + 1n, beneficiary.address, 0n))
        .to.be.revertedWithCustomError(staking, "SlashExceedsStake")
        .withArgs(node.address, VRT(1_000) + 1n, VRT(1_000));
    });
  });

  describe("bindEscrow", function () {
    it("binds once, by the deployer only", async function () {
      const { staking, ledger, deployer, governance, other } = await networkHelpers.loadFixture(standaloneFixture);
      const l = await ledger.getAddress();
      for (const s of [other, governance]) {
        await expect(staking.connect(s).bindEscrow(l))
          .to.be.revertedWithCustomError(staking, "BindingNotAllowed")
          .withArgs(s.address);
      }
      await expect(staking.connect(deployer).bindEscrow(ZeroAddress)).to.be.revertedWithCustomError(
        staking,
        "ZeroAddress",
      );
      await expect(staking.connect(deployer).bindEscrow(l)).to.emit(staking, "EscrowBound").withArgs(l);
      expect(await staking.escrow()).to.equal(l);
      await expect(staking.connect(deployer).bindEscrow(other.address))
        .to.be.revertedWithCustomError(staking, "BindingNotAllowed")
        .withArgs(deployer.address);
      expect(await staking.escrow()).to.equal(l);
    });

    it("is already bound to the escrow in the deployed suite", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      expect(await f.staking.escrow()).to.equal(await f.escrow.getAddress());
      await expect(f.staking.connect(f.deployer).bindEscrow(f.other.address))
        .to.be.revertedWithCustomError(f.staking, "BindingNotAllowed")
        .withArgs(f.deployer.address);
    });

    it("uses the bound ledger's locked collateral for withdrawals", async function () {
      const { staking, ledger, node } = await networkHelpers.loadFixture(boundFixture);
      await staking.connect(node).requestUnstake(VRT(600)); // 400 active
      await time.increase(UNBONDING);
      await ledger.setLocked(node.address, VRT(400) + 1n);
      await expect(staking.connect(node).withdrawStake(node.address))
        .to.be.revertedWithCustomError(staking, "CollateralLocked")
        .withArgs(node.address, VRT(400), VRT(400) + 1n);
      await ledger.setLocked(node.address, VRT(400));
      await expect(staking.connect(node).withdrawStake(node.address))
        .to.emit(staking, "StakeWithdrawn")
        .withArgs(node.address, node.address, VRT(600));
    });
  });

  describe("setUnbondingPeriod", function () {
    it("is owner-only and bounded", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      for (const s of [f.other, f.deployer]) {
        await expect(f.staking.connect(s).setUnbondingPeriod(MIN_UNBONDING_PERIOD_SECONDS))
          .to.be.revertedWithCustomError(f.staking, "OwnableUnauthorizedAccount")
          .withArgs(s.address);
      }
      for (const p of [0n, MIN_UNBONDING_PERIOD_SECONDS - 1n, MAX_UNBONDING_PERIOD_SECONDS + 1n]) {
        await expect(f.staking.connect(f.governance).setUnbondingPeriod(p))
          .to.be.revertedWithCustomError(f.staking, "UnbondingPeriodOutOfBounds")
          .withArgs(p, MIN_UNBONDING_PERIOD_SECONDS, MAX_UNBONDING_PERIOD_SECONDS);
      }
      for (const p of [MIN_UNBONDING_PERIOD_SECONDS, MAX_UNBONDING_PERIOD_SECONDS]) {
        await expect(f.staking.connect(f.governance).setUnbondingPeriod(p))
          .to.emit(f.staking, "UnbondingPeriodSet")
          .withArgs(p);
        expect(await f.staking.unbondingPeriod()).to.equal(p);
      }
    });

    it("a later request never shortens an earlier thaw, even after the period is lowered", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const t = BigInt(await time.latest()) + 10n;
      await at(t, () => f.staking.connect(f.node).requestUnstake(VRT(1_000)));
      await f.staking.connect(f.governance).setUnbondingPeriod(MIN_UNBONDING_PERIOD_SECONDS);
      // A 1-wei request under the 1-day period keeps the 7-day thawEnd of the 1 000 VRT already thawing.
      await expect(f.staking.connect(f.node).requestUnstake(1n))
        .to.emit(f.staking, "UnstakeRequested")
        .withArgs(f.node.address, 1n, VRT(1_000) + 1n, t + UNBONDING);
      await time.increaseTo(t + MIN_UNBONDING_PERIOD_SECONDS + 100n);
      await expect(f.staking.connect(f.node).withdrawStake(f.node.address))
        .to.be.revertedWithCustomError(f.staking, "StakeStillThawing")
        .withArgs(f.node.address, t + UNBONDING);
    });

    it("applies to later requests only", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const t = BigInt(await time.latest()) + 10n;
      await at(t, () => f.staking.connect(f.node).requestUnstake(VRT(1)));
      await f.staking.connect(f.governance).setUnbondingPeriod(MAX_UNBONDING_PERIOD_SECONDS);
      expect((await f.staking.getNode(f.node.address)).thawEnd).to.equal(t + UNBONDING);
      await time.setNextBlockTimestamp(t + UNBONDING);
      await expect(f.staking.connect(f.node).withdrawStake(f.node.address)).to.emit(f.staking, "StakeWithdrawn");

      const t2 = BigInt(await time.latest()) + 10n;
      await expect(at(t2, () => f.staking.connect(f.node2).requestUnstake(VRT(1))))
        .to.emit(f.staking, "UnstakeRequested")
        .withArgs(f.node2.address, VRT(1), VRT(1), t2 + MAX_UNBONDING_PERIOD_SECONDS);
    });

    it("follows a two-step ownership transfer", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await f.staking.connect(f.governance).transferOwnership(f.other.address);
      await expect(f.staking.connect(f.other).setUnbondingPeriod(MIN_UNBONDING_PERIOD_SECONDS))
        .to.be.revertedWithCustomError(f.staking, "OwnableUnauthorizedAccount")
        .withArgs(f.other.address);
      await f.staking.connect(f.other).acceptOwnership();
      await expect(f.staking.connect(f.other).setUnbondingPeriod(MIN_UNBONDING_PERIOD_SECONDS)).to.emit(
        f.staking,
        "UnbondingPeriodSet",
      );
      await expect(f.staking.connect(f.governance).setUnbondingPeriod(MIN_UNBONDING_PERIOD_SECONDS))
        .to.be.revertedWithCustomError(f.staking, "OwnableUnauthorizedAccount")
        .withArgs(f.governance.address);
    });
  });

  describe("claimRewards", function () {
    it("reverts with NothingToClaim and ZeroAddress", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(f.staking.connect(f.requester).claimRewards(f.requester.address))
        .to.be.revertedWithCustomError(f.staking, "NothingToClaim")
        .withArgs(f.requester.address);
      await expect(f.staking.connect(f.requester).claimRewards(ZeroAddress)).to.be.revertedWithCustomError(
        f.staking,
        "ZeroAddress",
      );
    });

    describe("after a missed-deadline slash", function () {
      async function slashedFixture() {
        const f = await deployTeeFixture(ethers, networkHelpers);
        const { job } = await f.request();
        const claim: Claim = claimOf(f.escrow, (await (await f.escrow.connect(f.node).claim(job)).wait())!.logs);
        await time.increaseTo(claim.deliverBy + 1n);
        const tx = await f.escrow.connect(f.other).reportMissedDeadline(job, claim);
        return { ...f, job: job as Job, claim, tx };
      }
      const REQUESTER_SHARE = (MIN_COLLATERAL * MISSED_DEADLINE_REQUESTER_SHARE_BPS) / BPS;

      it("slashes the locked collateral, half to the requester and half to the treasury", async function () {
        const f = await networkHelpers.loadFixture(slashedFixture);
        expect(f.job.collateral).to.equal(MIN_COLLATERAL);
        await expect(f.tx)
          .to.emit(f.staking, "Slashed")
          .withArgs(
            f.node.address,
            MIN_COLLATERAL,
            f.requester.address,
            REQUESTER_SHARE,
            MIN_COLLATERAL - REQUESTER_SHARE,
          );
        expect(REQUESTER_SHARE).to.equal(VRT(50));
        expect((await f.staking.getNode(f.node.address)).staked).to.equal(NODE_STAKE - MIN_COLLATERAL);
        expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
        expect(await f.staking.rewardsOf(f.requester.address)).to.equal(REQUESTER_SHARE);
        expect(await f.staking.rewardsOf(f.treasury.address)).to.equal(MIN_COLLATERAL - REQUESTER_SHARE);
        await expectFullyBacked(
          f.token,
          f.staking,
          [f.node.address, f.node2.address],
          [f.requester.address, f.treasury.address],
        );
      });

      it("lets the requester and the treasury claim their exact shares, once", async function () {
        const f = await networkHelpers.loadFixture(slashedFixture);
        const stakingAddress = await f.staking.getAddress();
        const held = await f.token.balanceOf(stakingAddress);
        expect(await f.token.balanceOf(f.requester.address)).to.equal(0n);

        await expect(f.staking.connect(f.requester).claimRewards(f.requester.address))
          .to.emit(f.staking, "RewardsClaimed")
          .withArgs(f.requester.address, f.requester.address, REQUESTER_SHARE)
          .and.to.emit(f.token, "Transfer")
          .withArgs(stakingAddress, f.requester.address, REQUESTER_SHARE);
        expect(await f.token.balanceOf(f.requester.address)).to.equal(REQUESTER_SHARE);

        const toTreasury = MIN_COLLATERAL - REQUESTER_SHARE;
        const receiver = ethers.Wallet.createRandom().address;
        await expect(f.staking.connect(f.treasury).claimRewards(receiver))
          .to.emit(f.staking, "RewardsClaimed")
          .withArgs(f.treasury.address, receiver, toTreasury);
        expect(await f.token.balanceOf(receiver)).to.equal(toTreasury);
        expect(await f.token.balanceOf(f.treasury.address)).to.equal(0n);
        expect(await f.token.balanceOf(stakingAddress)).to.equal(held - MIN_COLLATERAL);

        for (const s of [f.requester, f.treasury] as HardhatEthersSigner[]) {
          expect(await f.staking.rewardsOf(s.address)).to.equal(0n);
          await expect(f.staking.connect(s).claimRewards(s.address))
            .to.be.revertedWithCustomError(f.staking, "NothingToClaim")
            .withArgs(s.address);
        }
        // The slashed node itself has nothing to claim.
        await expect(f.staking.connect(f.node).claimRewards(f.node.address))
          .to.be.revertedWithCustomError(f.staking, "NothingToClaim")
          .withArgs(f.node.address);
        await expectFullyBacked(
          f.token,
          f.staking,
          [f.node.address, f.node2.address],
          [f.requester.address, f.treasury.address],
        );
      });
    });
  });
});
