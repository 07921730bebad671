import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import { id, ZeroHash, type Signer } from "ethers";
import type { VeritasTimelock } from "../../typechain-types/index.js";

export type Call = { target: string; data: string };

let saltCounter = 0;

/**
 * Runs governance calls the way they run in production: scheduled on the timelock, then executed once the delay has
 * passed. On an in-process chain the delay is skipped with `time.increase`; on a live chain pass no helpers and the
 * function waits for real time to pass.
 */
export async function viaTimelock(
  timelock: VeritasTimelock,
  proposer: Signer,
  calls: Call[],
  helpers?: NetworkHelpers,
): Promise<void> {
  const targets = calls.map((c) => c.target);
  const values = calls.map(() => 0n);
  const payloads = calls.map((c) => c.data);
  const salt = id(`veritas-governance-${Date.now()}-${saltCounter++}`);
  const delay = await timelock.getMinDelay();
  await (await timelock.connect(proposer).scheduleBatch(targets, values, payloads, ZeroHash, salt, delay)).wait();
  if (helpers) await helpers.time.increase(delay);
  else await new Promise((r) => setTimeout(r, Number(delay) * 1000 + 1000));
  await (await timelock.connect(proposer).executeBatch(targets, values, payloads, ZeroHash, salt)).wait();
}
