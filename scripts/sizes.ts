/**
 * Deploys the suite on the in-process chain and prints each contract's deployment gas (receipt gasUsed, including
 * the 21,000 base) and its runtime bytecode size against the EIP-170 limit. Exits non-zero if any exceeds it.
 *
 *   npx hardhat run scripts/sizes.ts
 */
import { network } from "hardhat";
import MockUSD from "../deploy/modules/MockUSD.js";
import Veritas from "../deploy/modules/Veritas.js";
import { parametersFileFor, readParameters } from "../deploy/deployment.js";

const LIMIT = 24_576;
const { ethers, ignition } = await network.create();
const parameters = readParameters(parametersFileFor("default", 31337n));
const { usd } = await ignition.deploy(MockUSD);
parameters.InferenceEscrow = { ...parameters.InferenceEscrow, paymentToken: await usd.getAddress() };
const suite = await ignition.deploy(Veritas, { parameters });
const verifier = await ethers.deployContract("MlpGroth16Verifier");

const contracts: Record<string, { getAddress(): Promise<string> }> = { ...suite, groth16: verifier };

// Creation receipts by contract address (Ignition's contract objects carry no deployment transaction).
const gasByAddress = new Map<string, bigint>();
const latest = await ethers.provider.getBlockNumber();
for (let b = 0; b <= latest; b++) {
  const block = await ethers.provider.getBlock(b, true);
  for (const tx of block?.prefetchedTransactions ?? []) {
    if (tx.to !== null) continue;
    const receipt = await ethers.provider.getTransactionReceipt(tx.hash);
    if (receipt?.contractAddress) gasByAddress.set(receipt.contractAddress.toLowerCase(), receipt.gasUsed);
  }
}

let failed = false;
console.log(`${"contract".padEnd(14)} ${"deploy gas".padStart(11)} ${"runtime bytes".padStart(14)}`);
for (const [name, c] of Object.entries(contracts)) {
  const address = (await c.getAddress()).toLowerCase();
  const size = ((await ethers.provider.getCode(address)).length - 2) / 2;
  const gas = gasByAddress.get(address);
  if (gas === undefined) throw new Error(`no creation receipt for ${name}`);
  if (size > LIMIT) failed = true;
  console.log(
    `${name.padEnd(14)} ${gas.toLocaleString("en-US").padStart(11)} ${size.toLocaleString("en-US").padStart(14)}${size > LIMIT ? "  OVER THE LIMIT" : ""}`,
  );
}
console.log(`(limit ${LIMIT.toLocaleString("en-US")} bytes, EIP-170)`);
if (failed) process.exit(1);
