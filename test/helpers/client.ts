import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import { VeritasClient } from "../../src/client.js";
import { deployTeeFixture, type TeeFixture } from "./fixtures.js";

/** What a promise rejects with (fails the test if it resolves). */
export async function rejection<E = Error>(p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (e) {
    return e as E;
  }
  throw new Error("expected a rejection");
}

/** The addresses a client is connected with in the client tests. */
export type ClientAddresses = { escrow: string; registry: string; staking: string; tee: string; paymentToken: string };

/** The TEE fixture with a `VeritasClient` of its requester, connected by address (polling every 10 ms). */
export async function deployClientFixture(
  ethers: HardhatEthers,
  helpers: NetworkHelpers,
): Promise<TeeFixture & { addresses: ClientAddresses; client: VeritasClient }> {
  const f = await deployTeeFixture(ethers, helpers);
  const addresses = {
    escrow: await f.escrow.getAddress(),
    registry: await f.registry.getAddress(),
    staking: await f.staking.getAddress(),
    tee: await f.tee.getAddress(),
    paymentToken: await f.usd.getAddress(),
  };
  const client = await VeritasClient.connect(f.requester, { addresses, pollInterval: 10 });
  return { ...f, addresses, client };
}
