// Modes are the published client's (src/constants.ts). Statuses here are bigints, as ethers returns them.
export { Mode, modeBit, type ModeName } from "../../src/constants.js";

/** Job statuses: `IInferenceEscrow.JobStatus`. */
export const JobStatus = {
  None: 0n,
  Open: 1n,
  Claimed: 2n,
  Settled: 3n,
  Cancelled: 4n,
  Expired: 5n,
  Proposed: 6n,
  Disputed: 7n,
  Refunded: 8n,
} as const;

/** Dispute rulings: `IInferenceEscrow.Ruling`. */
export const Ruling = { NodeRight: 0n, NodeWrong: 1n, Draw: 2n } as const;

export const BPS = 10_000n;
export const MAX_PROTOCOL_FEE_BPS = 1_000n;
export const MISSED_DEADLINE_REQUESTER_SHARE_BPS = 5_000n;
export const MIN_DELIVERY_WINDOW_SECONDS = 30n;
export const MAX_DELIVERY_WINDOW_SECONDS = 7n * 24n * 3600n;
export const MAX_REQUEST_LIFETIME_SECONDS = 30n * 24n * 3600n;
/** After `requestCancel`, nodes may still claim or fulfil the job this long before `cancel` refunds it. */
export const CANCEL_GRACE_PERIOD_SECONDS = 600n;
export const MAX_CALLBACK_GAS = 2_500_000n;
export const MIN_CHALLENGE_WINDOW_SECONDS = 60n;
export const MAX_CHALLENGE_WINDOW_SECONDS = 3n * 24n * 3600n;
export const MIN_ARBITRATION_PERIOD_SECONDS = 3600n;
export const MAX_ARBITRATION_PERIOD_SECONDS = 7n * 24n * 3600n;
export const EXIT_BUFFER_SECONDS = 24n * 3600n;
export const MAX_CHALLENGER_REWARD_BPS = 5_000n;
/** Always longer than the longest challenge window plus arbitration period plus the buffer. */
export const MIN_UNBONDING_PERIOD_SECONDS =
  MAX_CHALLENGE_WINDOW_SECONDS + MAX_ARBITRATION_PERIOD_SECONDS + EXIT_BUFFER_SECONDS;
export const MAX_UNBONDING_PERIOD_SECONDS = 90n * 24n * 3600n;
export const MAX_ENCLAVE_KEY_LIFETIME_SECONDS = 90n * 24n * 3600n;
