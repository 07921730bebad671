import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import { AbiCoder } from "ethers";
import type { Job } from "../../src/jobs.js";
import type { InferenceEscrow } from "../../typechain-types/index.js";
import { USD, type TeeFixture } from "./fixtures.js";
import { jobOf, requestParams } from "./escrow.js";
import { deployMockZkSuite, type MockZkSuite } from "./suites.js";

/** The output every attack test's TEE job is answered with. */
export const OUTPUT = AbiCoder.defaultAbiCoder().encode(["int256[]"], [[12n, -3n, 7n, 0n]]);

/** The 4-byte selector of `ReentrantCall()`: a blocked reentrant call's raw revert data. */
export const reentrantCall = (escrow: InferenceEscrow): string => escrow.interface.getError("ReentrantCall")!.selector;

/** The chain's latest block timestamp. */
export const now = async (helpers: NetworkHelpers): Promise<bigint> => BigInt(await helpers.time.latest());

/**
 * Deploys a contract requester (`contracts/mocks/ConsumerMocks.sol`), funds its escrow balance (deposited by the
 * fixture's requester) and has it request a TEE job with `callbackGasLimit`.
 */
export async function consumerJob<C>(
  ethers: HardhatEthers,
  f: TeeFixture,
  name: string,
  callbackGasLimit: bigint,
  funds = USD(10),
): Promise<{ consumer: C; addr: string; jobId: bigint; job: Job }> {
  const consumer = await ethers.deployContract(name, [await f.escrow.getAddress()]);
  const addr = await consumer.getAddress();
  await f.escrow.connect(f.requester).deposit(addr, funds);
  const request = consumer.getFunction("request");
  const { jobId, job } = await jobOf(f.escrow, request(requestParams(f, await now(f.helpers), { callbackGasLimit })));
  return { consumer: consumer as unknown as C, addr, jobId, job };
}

/** A mock-verified suite whose payment token is a fresh `name` (a malicious or odd token from TokenMocks.sol). */
export async function suiteWithToken<T>(
  ethers: HardhatEthers,
  name: string,
): Promise<{ s: MockZkSuite; token: T & { getAddress(): Promise<string> }; escrowAddr: string }> {
  const token = (await ethers.deployContract(name)) as unknown as T & { getAddress(): Promise<string> };
  const s = await deployMockZkSuite(ethers, await token.getAddress());
  return { s, token, escrowAddr: await s.escrow.getAddress() };
}

/** Gas price fields of a mempool transaction that tips `tipGwei` (the same fee cap for every racer). */
export const tip = (tipGwei: bigint) => ({
  gasLimit: 3_000_000n,
  maxFeePerGas: 200n * 10n ** 9n,
  maxPriorityFeePerGas: tipGwei * 10n ** 9n,
});

/**
 * A mempool race: with automine off, sends every transaction (each `send` carries its own tip, see `tip`), mines them
 * all in one block (ordered by tip, highest first) and returns whether each succeeded, in the order given. A
 * front-runner is the racer with the higher tip, sent after its victim (it saw the victim's calldata).
 */
export async function race(
  ethers: HardhatEthers,
  helpers: NetworkHelpers,
  sends: (() => Promise<{ hash: string }>)[],
): Promise<boolean[]> {
  await ethers.provider.send("evm_setAutomine", [false]);
  const hashes: string[] = [];
  try {
    for (const send of sends) hashes.push((await send()).hash);
    await helpers.mine();
  } finally {
    await ethers.provider.send("evm_setAutomine", [true]);
  }
  const receipts = await Promise.all(hashes.map((h) => ethers.provider.getTransactionReceipt(h)));
  const block = receipts[0]!.blockNumber;
  for (const r of receipts) if (r!.blockNumber !== block) throw new Error("the race did not fit in one block");
  return receipts.map((r) => r!.status === 1);
}
