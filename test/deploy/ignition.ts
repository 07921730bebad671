import { expect } from "chai";
import { network } from "hardhat";
import MockUSD from "../../deploy/modules/MockUSD.js";
import Veritas from "../../deploy/modules/Veritas.js";
import { checkDeployment, parametersFileFor, readParameters } from "../../scripts/lib/deployment.js";

const { ethers, ignition } = await network.create();

describe("Ignition modules (in-process chain)", function () {
  it("deploy the wired suite with the local parameters, and every parameter reads back", async function () {
    const [deployer] = await ethers.getSigners();
    const parameters = readParameters(parametersFileFor("default", 31337n));
    const { usd } = await ignition.deploy(MockUSD);
    parameters.InferenceEscrow = { ...parameters.InferenceEscrow, paymentToken: await usd.getAddress() };
    const suite = await ignition.deploy(Veritas, { parameters });
    const contracts: Record<string, string> = { paymentToken: await usd.getAddress() };
    for (const [name, c] of Object.entries(suite)) contracts[name] = await c.getAddress();
    const record = { chainId: 31337, network: "default", deployedAtBlock: 0, contracts, parameters };
    expect(await checkDeployment(ethers, record, deployer.address)).to.deep.equal([]);
    // The check is not vacuous: a wrong expectation is reported.
    const wrong = {
      ...record,
      parameters: { ...parameters, NodeStaking: { ...parameters.NodeStaking, minStake: "1" } },
    };
    expect(await checkDeployment(ethers, wrong, deployer.address)).to.deep.equal([
      `NodeStaking.minStake: deployed ${parameters.NodeStaking.minStake}, expected 1`,
    ]);
  });
});
