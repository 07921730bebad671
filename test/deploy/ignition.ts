import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { network } from "hardhat";
import MockUSD from "../../deploy/modules/MockUSD.js";
import Veritas from "../../deploy/modules/Veritas.js";
import { checkDeployment, parametersFileFor, readParameters, type Parameters } from "../../deploy/deployment.js";
import { deploySuite, LOCAL_PARAMS, moduleParameters, SUITE_STEPS } from "../../deploy/suite.js";

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

  it("deploySuite (tests, demo) runs the same plan: its deployment passes the same read-back check", async function () {
    const [deployer, governor, treasury] = await ethers.getSigners();
    const minDelay = 7200n;
    const timelock = await ethers.deployContract("VeritasTimelock", [
      minDelay,
      [governor.address],
      [ZeroAddress],
      ZeroAddress,
    ]);
    const params = LOCAL_PARAMS(await timelock.getAddress(), treasury.address, governor.address);
    const suite = await deploySuite(ethers, deployer, { ...params, dispute: { ...params.dispute, bond: 7n } });
    const contracts: Record<string, string> = { timelock: await timelock.getAddress() };
    for (const { key } of SUITE_STEPS) if (key !== "timelock") contracts[key] = await suite[key].getAddress();
    contracts.paymentToken = await suite.usd.getAddress();
    const parameters = {
      ...moduleParameters({ ...params, dispute: { ...params.dispute, bond: 7n } }, contracts.paymentToken),
      Governance: { minDelay: Number(minDelay), governor: governor.address },
    } as unknown as Parameters;
    const record = { chainId: 31337, network: "default", deployedAtBlock: 0, contracts, parameters };
    expect(await checkDeployment(ethers, record, deployer.address)).to.deep.equal([]);
    expect((await suite.disputes.params()).bond).to.equal(7n);
    expect(await suite.token.balanceOf(governor.address)).to.equal(params.tokenSupply);
  });
});
