/** Verification modes: the values of `MODE_*` in contracts/libraries/ConstantsLib.sol. */
export const Mode = { TEE: 1, ZK: 2, OPTIMISTIC: 3 } as const;
export type ModeName = keyof typeof Mode;

/** `1 << mode`, the bit of a mode in a version's `modes` mask and a node's `capabilities`. */
export const modeBit = (mode: number): number => 1 << mode;

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
export const MAX_CALLBACK_GAS = 2_500_000n;
export const MIN_CHALLENGE_WINDOW_SECONDS = 60n;
export const MAX_CHALLENGE_WINDOW_SECONDS = 3n * 24n * 3600n;
export const MIN_ARBITRATION_PERIOD_SECONDS = 3600n;
export const MAX_ARBITRATION_PERIOD_SECONDS = 7n * 24n * 3600n;
export const EXIT_BUFFER_SECONDS = 24n * 3600n;
export const MAX_CHALLENGER_REWARD_BPS = 5_000n;
/** Always longer than the longest challenge window plus arbitration period plus the buffer. */
export const MIN_UNBONDING_PERIOD_SECONDS = MAX_CHALLENGE_WINDOW_SECONDS + MAX_ARBITRATION_PERIOD_SECONDS + EXIT_BUFFER_SECONDS;
export const MAX_UNBONDING_PERIOD_SECONDS = 90n * 24n * 3600n;
export const MAX_ENCLAVE_KEY_LIFETIME_SECONDS = 90n * 24n * 3600n;
