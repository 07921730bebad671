import { expect } from "chai";
import { network } from "hardhat";
import { Mode, modeBit } from "../helpers/constants.js";
import { NO_CLAIM } from "../../src/jobs.js";
import type { FeeOnTransferToken, NodeStaking, NoReturnToken } from "../../typechain-types/index.js";
import { now, OUTPUT, suiteWithToken } from "../helpers/attacks.js";
import { jobOf, requestParams, split } from "../helpers/escrow.js";
import { PAYMENT, USD, VRT } from "../helpers/fixtures.js";

const { ethers, networkHelpers } = await network.create();
const MIN_STAKE = VRT(1_000);
const UNBONDING = 14n * 24n * 3600n;
const TEE = modeBit(Mode.TEE);

/** A NodeStaking whose staking token is the mock `name`, a registered node, and `amount` minted to and approved by the
 * deployer (who stakes for the node). */
async function stakingWithToken<T extends FeeOnTransferToken | NoReturnToken>(name: string, amount: bigint) {
  const [deployer, governance, treasury, node] = await ethers.getSigners();
  const token = (await ethers.deployContract(name)) as unknown as T;
  const staking = (await ethers.deployContract("NodeStaking", [
    await token.getAddress(),
    MIN_STAKE,
    UNBONDING,
    treasury.address,
    governance.address,
  ])) as unknown as NodeStaking;
  await staking.connect(node).registerNode("https://node", TEE);
  await token.mint(deployer.address, amount);
  await token.approve(await staking.getAddress(), amount);
  return { staking, token, deployer, node };
}

/**
 * Odd ERC-20s as the payment or staking token (both fixed at deploy). Fee-on-transfer tokens are rejected: every pull
 * (escrow deposits and transferFrom requests, stakes, challenger bonds) checks the balance delta and reverts with
 * `TransferAmountMismatch(expected, received)`. Tokens that return nothing (USDT-style) are handled by SafeERC20.
 */
describe("attacks: odd tokens", function () {
  it("fee-on-transfer token: refused as the payment token by deposit and requestInferenceWithTransfer with TransferAmountMismatch", async function () {
    const { s, token, escrowAddr: eAddr } = await suiteWithToken<FeeOnTransferToken>(ethers, "FeeOnTransferToken");
    await token.mint(s.requester.address, USD(1_000));
    await token.connect(s.requester).approve(eAddr, USD(1_000));
    await expect(s.escrow.connect(s.requester).deposit(s.requester.address, USD(100)))
      .to.be.revertedWithCustomError(s.escrow, "TransferAmountMismatch")
      .withArgs(USD(100), USD(99));
    await expect(
      s.escrow
        .connect(s.requester)
        .requestInferenceWithTransfer(requestParams(s, await now(networkHelpers), { mode: Mode.ZK, payment: USD(2) })),
    )
      .to.be.revertedWithCustomError(s.escrow, "TransferAmountMismatch")
      .withArgs(USD(2), USD(2) - USD(2) / 100n);
    expect(await token.balanceOf(eAddr)).to.equal(0n);
  });

  it("fee-on-transfer token: refused as the staking token by NodeStaking.stake with TransferAmountMismatch", async function () {
    const { staking, token: fot, node } = await stakingWithToken<FeeOnTransferToken>("FeeOnTransferToken", VRT(10_000));
    await expect(staking.stake(node.address, VRT(1_000)))
      .to.be.revertedWithCustomError(staking, "TransferAmountMismatch")
      .withArgs(VRT(1_000), VRT(990));
    expect(await staking.totalStakeOf(node.address)).to.equal(0n);
    expect(await fot.balanceOf(await staking.getAddress())).to.equal(0n);
    // The check compares balances: a transfer too small to be charged a fee goes through 1:1.
    await staking.stake(node.address, 99n);
    expect(await staking.totalStakeOf(node.address)).to.equal(99n);
    expect(await fot.balanceOf(await staking.getAddress())).to.equal(99n);
  });

  it("no-return token: a USDT-style payment token works for deposit, requests and withdraw through SafeERC20", async function () {
    const { s, token, escrowAddr: eAddr } = await suiteWithToken<NoReturnToken>(ethers, "NoReturnToken");
    await token.mint(s.requester.address, USD(1_000));
    await token.connect(s.requester).approve(eAddr, USD(1_000));
    await expect(s.escrow.connect(s.requester).deposit(s.requester.address, USD(100)))
      .to.emit(s.escrow, "Deposited")
      .withArgs(s.requester.address, s.requester.address, USD(100));
    expect(await token.balanceOf(eAddr)).to.equal(USD(100));
    const { job } = await jobOf(
      s.escrow,
      s.escrow
        .connect(s.requester)
        .requestInferenceWithTransfer(requestParams(s, await now(networkHelpers), { mode: Mode.ZK })),
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

  it("no-return token: a USDT-style staking token works for stake and withdrawStake through SafeERC20", async function () {
    const { staking, token, deployer, node } = await stakingWithToken<NoReturnToken>("NoReturnToken", VRT(2_000));
    await expect(staking.stake(node.address, VRT(2_000)))
      .to.emit(staking, "Staked")
      .withArgs(node.address, deployer.address, VRT(2_000));
    expect(await token.balanceOf(await staking.getAddress())).to.equal(VRT(2_000));
    await staking.connect(node).requestUnstake(VRT(500));
    await networkHelpers.time.increase(UNBONDING);
    await staking.connect(node).withdrawStake(node.address);
    expect(await token.balanceOf(node.address)).to.equal(VRT(500));
    expect(await staking.totalStakeOf(node.address)).to.equal(VRT(1_500));
    // A pull without allowance still reverts (the token's own require) rather than passing silently.
    await expect(staking.stake(node.address, 1n)).to.be.revertedWith("allowance");
  });
});
