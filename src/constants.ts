/** Verification modes: the values of `MODE_*` in contracts/libraries/ConstantsLib.sol. */
export const Mode = { TEE: 1, ZK: 2, OPTIMISTIC: 3 } as const;
export type ModeName = keyof typeof Mode;

/** `1 << mode`: the bit of a mode in a version's `modes` mask and in a node's `capabilities`. */
export const modeBit = (mode: number): number => 1 << mode;

/** Job statuses, `IInferenceEscrow.JobStatus` (the index is the on-chain value). `Settled`, `Cancelled`, `Expired` and
 * `Refunded` are terminal; `Proposed` and `Disputed` are optimistic results waiting for their window or a ruling. */
export const JOB_STATUS_NAMES = [
  "None",
  "Open",
  "Claimed",
  "Settled",
  "Cancelled",
  "Expired",
  "Proposed",
  "Disputed",
  "Refunded",
] as const;
export type JobStatusName = (typeof JOB_STATUS_NAMES)[number];
export const JobStatus = {
  None: 0,
  Open: 1,
  Claimed: 2,
  Settled: 3,
  Cancelled: 4,
  Expired: 5,
  Proposed: 6,
  Disputed: 7,
  Refunded: 8,
} as const;

/** How a dispute ended, `IInferenceEscrow.Ruling`. */
export const RULING_NAMES = ["NodeRight", "NodeWrong", "Draw"] as const;
export type RulingName = (typeof RULING_NAMES)[number];

/** Defaults the client uses when a request leaves them out. */
export const DEFAULT_DELIVERY_WINDOW_SECONDS = 600;
export const DEFAULT_REQUEST_TTL_SECONDS = 3600;
