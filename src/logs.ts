/** Bounded log searches: no `eth_getLogs` call spans more blocks than an RPC endpoint allows. */

/** Blocks per `eth_getLogs` call by default (public RPC endpoints commonly refuse much wider ranges). */
export const DEFAULT_MAX_RANGE = 2_000;

/**
 * The last log `query(from, to)` returns at or below `toBlock`, searched backwards in ranges of at most `maxRange`
 * blocks down to `fromBlock` (the deployment's block): an event of a recent job costs one call, and no call spans
 * more blocks than an RPC endpoint allows, however old the chain.
 */
export async function lastLogUpTo<T>(
  query: (fromBlock: number, toBlock: number) => Promise<T[]>,
  toBlock: number,
  { fromBlock = 0, maxRange = DEFAULT_MAX_RANGE }: { fromBlock?: number; maxRange?: number } = {},
): Promise<T | undefined> {
  const range = Math.max(1, maxRange);
  for (let hi = toBlock; hi >= fromBlock; hi -= range) {
    const logs = await query(Math.max(fromBlock, hi - range + 1), hi);
    if (logs.length > 0) return logs[logs.length - 1];
  }
  return undefined;
}
