/**
 * The protocol's constants for the tests: the SDK's (src/constants.ts, generated from the Solidity), with the enums
 * as bigints, which is how ethers returns them (`expect(await escrow.jobStatus(id)).to.equal(JobStatus.Open)`).
 */
import { enumOf, JOB_STATUS_NAMES, RULING_NAMES } from "../../src/constants.js";

export * from "../../src/protocol.js";
export { Mode, modeBit, type ModeName } from "../../src/constants.js";

/** Job statuses, `IInferenceEscrow.JobStatus`, as bigints. */
export const JobStatus = enumOf(JOB_STATUS_NAMES, BigInt);
/** Dispute rulings, `IInferenceEscrow.Ruling`, as bigints. */
export const Ruling = enumOf(RULING_NAMES, BigInt);
