import { expect } from "chai";
import path from "node:path";
import { id } from "ethers";
import { ROOT, type DeploymentRecord } from "../../deploy/deployment.js";
import { ModelRegistry__factory } from "../../typechain-types/index.js";
import { deployTo, runCaptured, startNode, type RpcNode } from "../helpers/rpc-node.js";
import { describeOffChain } from "../helpers/offchain.js";

/** Runs `hardhat <args>` as a user would, returning its exit code and output instead of throwing. */
function hardhat(args: string[], env: Record<string, string>) {
  return runCaptured(path.join(ROOT, "node_modules", ".bin", "hardhat"), args, env);
}

describeOffChain("veritas CLI as a command (hardhat node, the recorded deployment)", function () {
  this.timeout(120_000);
  let node: RpcNode;
  let env: Record<string, string>;
  let record: DeploymentRecord;

  before(async function () {
    node = await startNode("hardhat");
    ({ record, env } = await deployTo(node));
  });

  after(async function () {
    await node?.stop();
  });

  it("runs commands against the recorded deployment, and a revert exits 1 printing the custom error and arguments", async function () {
    const [, , , modelOwner, , requester] = (await node.provider.listAccounts()).map((a) => a.address);
    const created = await hardhat(
      ["veritas", "register-model", "--network", "localhost", "--account", "3", "--metadata-uri", "ipfs://card"],
      env,
    );
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.contain(`Model 1 created, owner ${modelOwner}`);
    expect(await ModelRegistry__factory.connect(record.contracts.registry, node.provider).ownerOf(1n)).to.equal(
      modelOwner,
    );

    const published = await hardhat(
      [
        "veritas",
        "publish-version",
        "--network",
        "localhost",
        "--account",
        "3",
        "--model-id",
        "1",
        "--weights-digest",
        id("w"),
        "--artifact-uri",
        "ipfs://w",
        "--royalty",
        "0.05",
        "--min-collateral",
        "100",
        "--measurements",
        id("m"),
      ],
      env,
    );
    expect(published.code, published.stderr).to.equal(0);
    expect(published.stdout).to.contain("Version 1 of model 1 published: royalty 0.05 mUSD, min collateral 100.0 VRT");

    const broke = await hardhat(
      [
        "veritas",
        "request",
        "--network",
        "localhost",
        "--account",
        "5",
        "--version-id",
        "1",
        "--payment",
        "1",
        "--input",
        "x",
      ],
      env,
    );
    expect(broke.code).to.equal(1);
    expect(broke.stderr.trim()).to.equal(
      `Reverted: InsufficientBalance(account=${requester}, balance=0, needed=1000000)`,
    );
  });
});
