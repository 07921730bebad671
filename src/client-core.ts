/**
 * What `VeritasClient` (ethers v6, src/client.ts) and `VeritasViemClient` (viem, src/viem.ts) share: the facade
 * `VeritasClientCore`, which holds a client's role clients (src/roles.ts: `reader`, `requester`, `verification`,
 * `modelOwner`, `operator`) over one `VeritasConnection` (src/connection.ts), and keeps the requester's methods on
 * the client itself. A client only supplies the transport: a view call, an event query, a transaction, a block's
 * timestamp and a transaction's calldata.
 */
import type { BigNumberish } from "ethers";
import {
  VeritasConnection,
  type ContractKey,
  type EventQuery,
  type EventRecord,
  type InferenceResult,
  type JobInfo,
  type ReceiptInfo,
  type RequestedJob,
  type RequestInferenceParams,
  type RequestOptions,
  type Verification,
  type VerifiedResult,
  type VeritasTransport,
  type WaitOptions,
} from "./connection.js";
import type { VeritasAddresses } from "./deployments.js";
import { DEFAULT_MAX_RANGE } from "./logs.js";
import { VeritasModelOwner, VeritasOperator, VeritasReader, VeritasRequester, VeritasVerification } from "./roles.js";

export * from "./connection.js";
export * from "./roles.js";
export {
  toVeritasError,
  VeritasError,
  VeritasJobError,
  VeritasRevertError,
  VeritasTransactionError,
  type JobErrorCode,
  type VeritasErrorCode,
} from "./errors.js";

/**
 * A Veritas client over an abstract transport: its role clients, and the requester's and reader's methods on the
 * client itself (as before the roles). `Receipt` is what the transport's transactions resolve with (an ethers or a
 * viem receipt). A subclass implements the protected transport methods; every revert a transaction or a view call
 * meets comes back as a `VeritasRevertError`.
 */
export abstract class VeritasClientCore<Receipt> {
  /** Earliest block searched for events. */
  readonly fromBlock: number;
  /** Polling interval of `waitForResult`, in ms. */
  readonly pollInterval: number;
  /** Most blocks one backward log search query spans (default `DEFAULT_MAX_RANGE`, 2,000). */
  readonly maxBlockRange: number;
  /** What the role clients share: the transport, the deployment's addresses, the job records. */
  readonly connection: VeritasConnection<Receipt>;
  /** Jobs, balances, the cancel schedule, `waitForResult`. */
  readonly reader: VeritasReader<Receipt>;
  /** Deposits, withdrawals, requests, cancels, expiries, `requestAndWait`. */
  readonly requester: VeritasRequester<Receipt>;
  /** How results were verified (`verificationOf`), `waitForVerifiedResult`, `finalize`. */
  readonly verification: VeritasVerification<Receipt>;
  /** Models and versions (`ModelRegistry`), royalties. */
  readonly modelOwner: VeritasModelOwner<Receipt>;
  /** A node's registration, stake and enclave keys (`NodeStaking`, `TeeRegistry`). */
  readonly operator: VeritasOperator<Receipt>;

  protected constructor(
    readonly addresses: VeritasAddresses,
    readonly chainId: bigint,
    options: { fromBlock: number; pollInterval?: number; maxBlockRange?: number },
  ) {
    this.fromBlock = options.fromBlock;
    this.pollInterval = options.pollInterval ?? 1000;
    this.maxBlockRange = Math.max(1, options.maxBlockRange ?? DEFAULT_MAX_RANGE);
    const transport: VeritasTransport<Receipt> = {
      addresses,
      chainId,
      fromBlock: this.fromBlock,
      pollInterval: this.pollInterval,
      maxBlockRange: this.maxBlockRange,
      blockNumber: () => this.blockNumber(),
      account: () => this.account(),
      read: (key, address, fn, args) => this.read(key, address, fn, args),
      write: (key, address, fn, args) => this.write(key, address, fn, args),
      events: (query) => this.events(query),
      blockTimestamp: (block) => this.blockTimestamp(block),
      transactionInput: (hash) => this.transactionInput(hash),
      receiptInfo: (receipt) => this.receiptInfo(receipt),
    };
    this.connection = new VeritasConnection(transport);
    this.reader = new VeritasReader(this.connection);
    this.requester = new VeritasRequester(this.connection);
    this.verification = new VeritasVerification(this.connection);
    this.modelOwner = new VeritasModelOwner(this.connection);
    this.operator = new VeritasOperator(this.connection);
  }

  // ---- the transport ----

  /** The sending account's address; throws `NO_SIGNER` for a read-only client. */
  abstract account(): Promise<string>;
  /** A view call `fn(...args)` of the contract at `address` (raw result: ethers `Result` or viem's values). */
  protected abstract read(key: ContractKey, address: string, fn: string, args: readonly unknown[]): Promise<unknown>;
  /** Sends `fn(...args)` to the contract at `address` and waits for it to be mined (a revert: `VeritasRevertError`). */
  protected abstract write(key: ContractKey, address: string, fn: string, args: readonly unknown[]): Promise<Receipt>;
  /** The events `event` of the contract at `address` whose indexed arguments match `args`, from `fromBlock`, in order. */
  protected abstract events(query: EventQuery): Promise<EventRecord[]>;
  /** A block's timestamp, unix seconds. */
  protected abstract blockTimestamp(block: number | "latest"): Promise<bigint>;
  /** The latest block's number. */
  protected abstract blockNumber(): Promise<number>;
  /** A transaction's recipient and calldata, or null if it is not found. */
  protected abstract transactionInput(hash: string): Promise<{ to: string | null; data: string } | null>;
  /** The hash, block and logs of a receipt. */
  protected abstract receiptInfo(receipt: Receipt): ReceiptInfo;

  // ---- the reader's and the requester's methods, on the client ----

  /** `reader.paymentTokenAddress`: the payment token's address. */
  paymentTokenAddress(): Promise<string> {
    return this.reader.paymentTokenAddress();
  }
  /** `reader.balanceOf`: an account's withdrawable escrow balance (default: the signer's). */
  balanceOf(account?: string): Promise<bigint> {
    return this.reader.balanceOf(account);
  }
  /** `reader.cancellableAt`: when a requested cancel can be completed, or 0n. */
  cancellableAt(jobId: BigNumberish): Promise<bigint> {
    return this.reader.cancellableAt(jobId);
  }
  /** `reader.getJob`: a job's status, parameters, claim, proposal, result or refund. */
  getJob(jobId: BigNumberish): Promise<JobInfo> {
    return this.reader.getJob(jobId);
  }
  /** `reader.waitForResult`: the result once the job settles (a `VeritasJobError` if it cannot). */
  waitForResult(jobId: BigNumberish, options: WaitOptions = {}): Promise<InferenceResult> {
    return this.reader.waitForResult(jobId, options);
  }
  /** `requester.deposit`: into `account`'s escrow balance (default: the signer's), approving the escrow if needed. */
  deposit(amount: BigNumberish, options: { account?: string } = {}): Promise<Receipt> {
    return this.requester.deposit(amount, options);
  }
  /** `requester.withdraw`: from the signer's escrow balance (default: all of it) to `to` (default: the signer). */
  withdraw(amount?: BigNumberish, to?: string): Promise<Receipt> {
    return this.requester.withdraw(amount, to);
  }
  /** `requester.requestInference`: paid from the prepaid balance (default) or with a transfer. */
  requestInference(params: RequestInferenceParams, options: RequestOptions = {}): Promise<RequestedJob> {
    return this.requester.requestInference(params, options);
  }
  /** `requester.requestCancel`: starts the cancel grace period of an open job of the signer. */
  requestCancel(jobId: BigNumberish): Promise<Receipt> {
    return this.requester.requestCancel(jobId);
  }
  /** `requester.cancel`: refunds an open job of the signer after `requestCancel` and its grace period. */
  cancel(jobId: BigNumberish): Promise<Receipt> {
    return this.requester.cancel(jobId);
  }
  /** `requester.expire`: refunds an open job past its final deadline (anyone may). */
  expire(jobId: BigNumberish): Promise<Receipt> {
    return this.requester.expire(jobId);
  }
  /** `requester.requestAndWait`: `requestInference`, then `waitForVerifiedResult`. */
  requestAndWait(
    params: RequestInferenceParams,
    options: RequestOptions & WaitOptions = {},
  ): Promise<VerifiedResult & { request: RequestedJob }> {
    return this.requester.requestAndWait(params, options);
  }
  /** `verification.finalize`: settles an optimistic job whose challenge window passed unchallenged (anyone may). */
  finalize(jobId: BigNumberish): Promise<Receipt> {
    return this.verification.finalize(jobId);
  }
  /** `verification.waitForVerifiedResult`: `waitForResult` plus how the result was verified and when. */
  waitForVerifiedResult(jobId: BigNumberish, options: WaitOptions = {}): Promise<VerifiedResult> {
    return this.verification.waitForVerifiedResult(jobId, options);
  }
  /** `verification.verificationOf`: how a settled result was verified on chain. */
  verificationOf(result: InferenceResult): Promise<Verification> {
    return this.verification.verificationOf(result);
  }
}
