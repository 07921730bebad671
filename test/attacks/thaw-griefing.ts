import { expect } from "chai";
import { network } from "hardhat";
import { deployTeeFixture, NODE_STAKE, VRT, type TeeFixture } from "../helpers/fixtures.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const fixture = () => deployTeeFixture(ethers, networkHelpers);

/**
 * A node has one thawing amount and one `thawEnd`; only the node itself can add to it (`requestUnstake` moves the
 * caller's own stake). There is no queue for anyone else to fill with dust, and a third party's top-ups go to active
 * stake without touching the thaw.
 */
describe("attacks: dust griefing of thaw queues", function () {
  let f: TeeFixture;
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
  });

  it("dust griefing of thaw queues: a third party's dust stakes for the node neither delay nor grow its thaw", async function () {
    await f.staking.connect(f.node).requestUnstake(VRT(1_000));
    const before = await f.staking.getNode(f.node.address);
    // A griefer tops up the node with 1 wei, 100 times over the thaw period.
    await f.token.connect(f.deployer).transfer(f.other.address, 100n);
    await f.token.connect(f.other).approve(await f.staking.getAddress(), 100n);
    const period = await f.staking.unbondingPeriod();
    for (let i = 0; i < 100; i++) {
      await f.staking.connect(f.other).stake(f.node.address, 1n);
      await time.increase(period / 100n);
    }
    const after = await f.staking.getNode(f.node.address);
    expect([after.thawing, after.thawEnd]).to.deep.equal([before.thawing, before.thawEnd]);
    expect(after.staked).to.equal(before.staked + 100n);
    // The node withdraws exactly what it asked for, on time.
    expect(BigInt(await time.latest())).to.be.at.least(before.thawEnd);
    await expect(f.staking.connect(f.node).withdrawStake(f.node.address)).to.changeTokenBalances(
      ethers,
      f.token,
      [f.node],
      [VRT(1_000)],
    );
    expect(await f.staking.totalStakeOf(f.node.address)).to.equal(NODE_STAKE - VRT(1_000) + 100n);
  });

  it("dust griefing of thaw queues: nobody else can unstake, add to or withdraw a node's thaw", async function () {
    await f.staking.connect(f.node).requestUnstake(VRT(1_000));
    const before = await f.staking.getNode(f.node.address);
    // `other` is not a node: its requests touch no one's record.
    await expect(f.staking.connect(f.other).requestUnstake(1n))
      .to.be.revertedWithCustomError(f.staking, "NodeNotRegistered")
      .withArgs(f.other.address);
    // Another node's dust unstake only moves its own thaw.
    await time.increase(3600n);
    await f.staking.connect(f.node2).requestUnstake(1n);
    expect(await f.staking.getNode(f.node.address)).to.deep.equal(before);
    await expect(f.staking.connect(f.node2).withdrawStake(f.node2.address)).to.be.revertedWithCustomError(
      f.staking,
      "StakeStillThawing",
    );
    await expect(f.staking.connect(f.other).withdrawStake(f.other.address))
      .to.be.revertedWithCustomError(f.staking, "NothingThawing")
      .withArgs(f.other.address);
    await time.increaseTo(before.thawEnd);
    await f.staking.connect(f.node).withdrawStake(f.node.address);
    expect((await f.staking.getNode(f.node.address)).thawing).to.equal(0n);
  });
});
