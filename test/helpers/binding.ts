import { expect } from "chai";
import { ZeroAddress } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { InferenceEscrow, TeeRegistry } from "../../typechain-types/index.js";

type Bindable = InferenceEscrow | TeeRegistry;

/**
 * The one-time dispute-manager binding of the escrow and the TEE registry: on the wired `bound` contract neither its
 * deployer nor anyone else can bind again (BindingNotAllowed); on `fresh` (deployed by `freshDeployer`, unbound) a
 * zero address is refused (ZeroAddress) and a first binding to `target` is stored and emits DisputeManagerBound.
 */
export async function expectOneTimeBinding(
  bound: Bindable,
  expected: string,
  callers: HardhatEthersSigner[],
  fresh: Bindable,
  freshDeployer: HardhatEthersSigner,
  target: string,
) {
  expect(await bound.disputeManager()).to.equal(expected);
  for (const who of callers) {
    await expect(bound.connect(who).bindDisputeManager(target))
      .to.be.revertedWithCustomError(bound, "BindingNotAllowed")
      .withArgs(who.address);
  }
  await expect(fresh.connect(freshDeployer).bindDisputeManager(ZeroAddress)).to.be.revertedWithCustomError(
    fresh,
    "ZeroAddress",
  );
  await expect(fresh.connect(freshDeployer).bindDisputeManager(target))
    .to.emit(fresh, "DisputeManagerBound")
    .withArgs(target);
  expect(await fresh.disputeManager()).to.equal(target);
}
