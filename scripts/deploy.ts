/**
 * Deploys the whole suite with Hardhat Ignition, records the addresses in deployments/<chainId>.json and checks every
 * deployed parameter against the parameter file.
 *
 *   npx hardhat run scripts/deploy.ts                       # in-process chain (nothing recorded)
 *   npx hardhat run scripts/deploy.ts --network localhost   # `npx hardhat node` or anvil on 127.0.0.1:8545
 *   npx hardhat run scripts/deploy.ts --network sepolia     # SEPOLIA_RPC_URL / SEPOLIA_PRIVATE_KEY config variables
 *
 * On local chains (chain id 31337) a MockUSD payment token is deployed first; public networks name their payment
 * token in deploy/parameters/<network>.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { network } from "hardhat";
import MockUSD from "../deploy/modules/MockUSD.js";
import Veritas from "../deploy/modules/Veritas.js";
import {
  checkDeployment,
  DEPLOYMENTS_DIR,
  parametersFileFor,
  readParameters,
  ROOT,
  type DeploymentRecord,
} from "../deploy/deployment.js";

const connection = await network.create();
const { ethers, ignition, networkName } = connection;
const chainId = (await ethers.provider.getNetwork()).chainId;
const [deployer] = await ethers.getSigners();
const paramsFile = parametersFileFor(networkName, chainId);
const parameters = readParameters(paramsFile);
console.log(`Deploying Veritas to ${networkName} (chain ${chainId}) from ${deployer.address}`);
console.log(`Parameters: ${path.relative(ROOT, paramsFile)}`);

// Local chains restart from scratch: key Ignition's journal by the chain's genesis block so a new node starts anew,
// and by the node's port: two nodes started in the same second have the same genesis hash (tests run several at once).
const genesis = (await ethers.provider.getBlock(0))!.hash!;
const port = connection.networkConfig.type === "http" ? new URL(await connection.networkConfig.url.get()).port : "";
const deploymentId = chainId === 31337n ? `chain-31337-${genesis.slice(2, 10)}${port ? `-${port}` : ""}` : undefined;

const contracts: Record<string, string> = {};
if (parameters.InferenceEscrow?.paymentToken === undefined) {
  if (chainId !== 31337n) throw new Error(`${paramsFile} must name InferenceEscrow.paymentToken on chain ${chainId}`);
  const { usd } = await ignition.deploy(MockUSD, { deploymentId });
  contracts.paymentToken = await usd.getAddress();
  parameters.InferenceEscrow = { ...parameters.InferenceEscrow, paymentToken: contracts.paymentToken };
  console.log(`MockUSD payment token (local only): ${contracts.paymentToken}`);
} else {
  contracts.paymentToken = String(parameters.InferenceEscrow.paymentToken);
}

const suite = await ignition.deploy(Veritas, { parameters, deploymentId });
for (const [name, contract] of Object.entries(suite)) contracts[name] = await contract.getAddress();

const record: DeploymentRecord = {
  chainId: Number(chainId),
  network: networkName,
  deployedAtBlock: await ethers.provider.getBlockNumber(),
  contracts,
  parameters,
};
for (const [name, address] of Object.entries(contracts)) console.log(`  ${name.padEnd(13)} ${address}`);

const problems = await checkDeployment(ethers, record, deployer.address);
if (problems.length > 0) {
  console.error(`Deployment check FAILED:\n- ${problems.join("\n- ")}`);
  process.exit(1);
}
console.log("Deployment check: every parameter read back from the contracts matches the parameter file.");

if (networkName !== "default" && !networkName.startsWith("hardhat")) {
  const out = path.join(DEPLOYMENTS_DIR, `${chainId}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(record, null, 2) + "\n");
  console.log(`Addresses recorded in ${path.relative(ROOT, out)}`);
}
