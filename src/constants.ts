/**
 * The protocol's constants for the SDK. The limits and the enum names come from the Solidity (src/protocol.ts,
 * generated from contracts/libraries/ConstantsLib.sol and the interfaces' enums); this file adds the number-valued
 * views the client uses and the client's own defaults.
 */
import { JOB_STATUS_NAMES, MODE_OPTIMISTIC, MODE_TEE, MODE_ZK, RULING_NAMES } from "./protocol.js";

export * from "./protocol.js";

/** Verification modes: the values of `MODE_*` in contracts/libraries/ConstantsLib.sol. */
export const Mode = { TEE: Number(MODE_TEE), ZK: Number(MODE_ZK), OPTIMISTIC: Number(MODE_OPTIMISTIC) } as const;
export type ModeName = keyof typeof Mode;

/** `1 << mode`: the bit of a mode in a version's `modes` mask and in a node's `capabilities`. */
export const modeBit = (mode: number): number => 1 << mode;

/** `Settled`, `Cancelled`, `Expired` and `Refunded` are terminal; `Proposed` and `Disputed` are optimistic results
 * waiting for their window or a ruling. */
export type JobStatusName = (typeof JOB_STATUS_NAMES)[number];
/** Job statuses by name, `IInferenceEscrow.JobStatus` (numbers: the on-chain values). */
export const JobStatus = enumOf(JOB_STATUS_NAMES, Number);

/** How a dispute ended, `IInferenceEscrow.Ruling`. */
export type RulingName = (typeof RULING_NAMES)[number];
/** Rulings by name (numbers: the on-chain values). */
export const Ruling = enumOf(RULING_NAMES, Number);

/** `{ name: value }` of a Solidity enum's member names (the index is the on-chain value), as numbers or bigints. */
export function enumOf<const N extends readonly string[], V>(
  names: N,
  as: (index: number) => V,
): { readonly [K in N[number]]: V } {
  return Object.freeze(Object.fromEntries(names.map((n, i) => [n, as(i)]))) as { readonly [K in N[number]]: V };
}

/** Defaults the client uses when a request leaves them out. */
export const DEFAULT_DELIVERY_WINDOW_SECONDS = 600;
export const DEFAULT_REQUEST_TTL_SECONDS = 3600;
