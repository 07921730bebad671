/**
 * Reorg-safe log follower for Veritas processes (the node operator, the watcher): polls `eth_getLogs` for the given
 * contracts and events in bounded block ranges, only up to `head - confirmations`, and keeps a cursor (the next
 * block to read) that the caller persists. RPC errors never escape `poll()`: they are logged, the follower backs off
 * exponentially and retries from the same cursor, so no range is skipped and none is read twice after success.
 */
import { EventEmitter } from "node:events";
import type { Interface, Log, LogDescription, Provider } from "ethers";
import { silentLogger, type Logger } from "./logger.js";
import { PollLoop } from "./loop.js";
import { DEFAULT_MAX_RANGE } from "../logs.js";

export { DEFAULT_MAX_RANGE, lastLogUpTo } from "../logs.js";

/** A contract whose events are followed. */
export type FollowedContract = {
  /** The contract's address. */
  address: string;
  /** Its ABI interface (e.g. `InferenceEscrow__factory.createInterface()` or `contract.interface`). */
  iface: Interface;
  /** Event names to follow (default: every event of the interface). */
  events?: string[];
};

/** A decoded log, with where it sits in the chain. */
export type FollowedLog = {
  /** The contract's address (as configured). */
  address: string;
  /** The event name. */
  name: string;
  /** The decoded event. */
  event: LogDescription;
  /** The raw log. */
  log: Log;
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
};

export type FollowerOptions = {
  /** First block to read (inclusive), unless a persisted cursor is given. */
  fromBlock: number;
  /** Blocks a log must be buried under before it is processed (0: process the head). Default 0. */
  confirmations?: number;
  /** Largest `eth_getLogs` range, in blocks. Default 2,000. */
  maxRange?: number;
  /** Poll interval of `start()` in ms. Default 1,000. */
  pollIntervalMs?: number;
  /** First back-off after an RPC error in ms (doubled per consecutive error up to `maxBackoffMs`). Default 500. */
  backoffMs?: number;
  /** Longest back-off in ms. Default 30,000. */
  maxBackoffMs?: number;
  logger?: Logger;
};

/** The result of one poll. */
export type PollResult = {
  /** Logs handled in this poll, in chain order. */
  logs: FollowedLog[];
  /** The cursor after the poll (next block to read). */
  cursor: number;
  /** The safe head (`head - confirmations`) seen, or undefined if the RPC failed. */
  safeHead?: number;
  /** The RPC error of this poll, if any (the cursor did not move past the failing range). */
  error?: unknown;
};

/**
 * Follows logs. `poll()` reads every confirmed block from the cursor up to the safe head, calls `handler` for each
 * log in order (awaited), and advances the cursor range by range; `start()` polls on a timer until `stop()`.
 * A handler that throws stops the poll with the cursor at the start of its range, so that range is read again on the
 * next poll: handlers must be idempotent (the node's journal makes them so).
 * Events: `"cursor"` (new cursor, after each handled range: persist it), `"error"` is never emitted (errors are
 * logged and returned), `"rpcError"` (error, consecutive failures).
 */
export class EventFollower extends EventEmitter {
  private cursorValue: number;
  private readonly confirmations: number;
  private readonly maxRange: number;
  private readonly pollIntervalMs: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly logger: Logger;
  private failures = 0;
  private readonly loop = new PollLoop(
    () => this.poll(),
    () => this.nextDelayMs,
    (e) => {
      this.logger.error("log handler failed; retrying from the same block", { error: errorMessage(e) });
      this.failures++;
    },
  );
  private readonly topicsByAddress: { address: string; iface: Interface; topics: string[] }[];

  constructor(
    private readonly provider: Provider,
    contracts: FollowedContract[],
    private readonly handler: (log: FollowedLog) => Promise<void> | void,
    opts: FollowerOptions,
  ) {
    super();
    this.cursorValue = opts.fromBlock;
    this.confirmations = opts.confirmations ?? 0;
    this.maxRange = Math.max(1, opts.maxRange ?? DEFAULT_MAX_RANGE);
    this.pollIntervalMs = opts.pollIntervalMs ?? 1_000;
    this.backoffMs = opts.backoffMs ?? 500;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.logger = opts.logger ?? silentLogger;
    this.topicsByAddress = contracts.map((c) => {
      const names = c.events ?? listEvents(c.iface);
      return {
        address: c.address,
        iface: c.iface,
        topics: names.map((n) => {
          const ev = c.iface.getEvent(n);
          if (!ev) throw new Error(`EventFollower: no event ${n} in the interface of ${c.address}`);
          return ev.topicHash;
        }),
      };
    });
  }

  /** The next block to read: persist it and pass it back as `fromBlock` to resume. */
  get cursor(): number {
    return this.cursorValue;
  }

  /** Consecutive RPC failures so far (0 after a successful poll). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** The delay before the next poll: the interval, or the back-off after consecutive failures. */
  get nextDelayMs(): number {
    if (this.failures === 0) return this.pollIntervalMs;
    return Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (this.failures - 1));
  }

  /** Reads every confirmed block from the cursor; never throws on RPC errors (a handler's error is rethrown). */
  async poll(): Promise<PollResult> {
    const handled: FollowedLog[] = [];
    let safeHead: number | undefined;
    try {
      const head = await this.provider.getBlockNumber();
      safeHead = head - this.confirmations;
      while (this.cursorValue <= safeHead) {
        const from = this.cursorValue;
        const to = Math.min(safeHead, from + this.maxRange - 1);
        const logs = await this.fetchRange(from, to);
        for (const l of logs) {
          try {
            await this.handler(l);
          } catch (e) {
            throw new HandlerError(e);
          }
          handled.push(l);
        }
        this.cursorValue = to + 1;
        this.emit("cursor", this.cursorValue);
      }
      if (this.failures > 0) this.logger.info("rpc recovered", { after: this.failures, cursor: this.cursorValue });
      this.failures = 0;
      return { logs: handled, cursor: this.cursorValue, safeHead };
    } catch (error) {
      if (error instanceof HandlerError) throw error.cause;
      this.failures++;
      this.logger.warn("rpc error, backing off", {
        error: errorMessage(error),
        failures: this.failures,
        retryInMs: this.nextDelayMs,
        cursor: this.cursorValue,
      });
      this.emit("rpcError", error, this.failures);
      return { logs: handled, cursor: this.cursorValue, safeHead, error };
    }
  }

  /** Polls until `stop()`, waiting `pollIntervalMs` between polls (longer after RPC errors). */
  start(): void {
    this.loop.start();
  }

  /** Stops polling; resolves once the current poll has finished. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async fetchRange(from: number, to: number): Promise<FollowedLog[]> {
    const out: FollowedLog[] = [];
    for (const c of this.topicsByAddress) {
      if (c.topics.length === 0) continue;
      const logs = await this.provider.getLogs({
        address: c.address,
        fromBlock: from,
        toBlock: to,
        topics: [c.topics],
      });
      for (const log of logs) {
        const event = c.iface.parseLog(log);
        if (!event) continue;
        out.push({
          address: c.address,
          name: event.name,
          event,
          log,
          blockNumber: log.blockNumber,
          logIndex: log.index,
          transactionHash: log.transactionHash,
        });
      }
    }
    out.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
    return out;
  }
}

/** Wraps a handler's error so `poll()` tells it from an RPC error. */
class HandlerError extends Error {
  constructor(cause: unknown) {
    super("handler failed", { cause });
  }
}

function listEvents(iface: Interface): string[] {
  const names: string[] = [];
  iface.forEachEvent((e) => names.push(e.name));
  return names;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return (e as { shortMessage?: string }).shortMessage ?? e.message;
  return String(e);
}
