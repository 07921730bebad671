/**
 * What a verified result must say about how it was verified, checked against the chain's own events: one assertion
 * per mode, shared by the ethers and the viem client tests (both must give the same `Verification`).
 */
import { expect } from "chai";
import type { VerifiedResult } from "../../src/client.js";
import type { InferenceEscrow, TeeRegistry } from "../../typechain-types/index.js";

/** A single-result TEE settlement: the node's registered enclave key, its measurement and attestation transaction. */
export async function expectTeeVerification(
  f: { tee: TeeRegistry; node: { address: string }; enclave: { address: string; measurement: string } },
  r: Pick<VerifiedResult, "verification" | "transactionHash">,
): Promise<void> {
  const [registered] = await f.tee.queryFilter(f.tee.filters.EnclaveKeyRegistered(f.node.address));
  expect(r.verification).to.deep.equal({
    mode: "TEE",
    enclaveKey: f.enclave.address,
    measurement: f.enclave.measurement,
    attestationTx: registered.transactionHash,
    batchSize: 1,
    transactionHash: r.transactionHash,
  });
}

/** An optimistic result finalized after its window, unchallenged: the proposal's transaction and window. */
export async function expectFinalizedVerification(
  escrow: InferenceEscrow,
  r: Pick<VerifiedResult, "jobId" | "verification" | "transactionHash">,
  challengeEnds: bigint,
): Promise<void> {
  const [proposed] = await escrow.queryFilter(escrow.filters.ResultProposed(r.jobId));
  expect(r.verification).to.deep.equal({
    mode: "OPTIMISTIC",
    proposalTx: proposed.transactionHash,
    challengeEnds,
    settledBy: "finalize",
    byProof: false,
    transactionHash: r.transactionHash,
  });
}
