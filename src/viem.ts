/**
 * @veritas-protocol/contracts/viem: the Veritas client for viem. The same methods and results as the ethers
 * `VeritasClient` (both run the role clients of src/roles.ts), on viem clients:
 *
 *   const publicClient = createPublicClient({ chain, transport: http() });
 *   const walletClient = createWalletClient({ chain, account, transport: http() });
 *   const veritas = await createVeritasClient({ publicClient, walletClient });   // deployment packaged for the chain
 *   await veritas.deposit(5_000_000n);
 *   const { jobId } = await veritas.requestInference({ versionId: 1n, payment: 1_000_000n, input: "…" });
 *   const { output } = await veritas.waitForResult(jobId, { timeout: 120_000 });
 *
 * Reads use `readContract` and `getContractEvents` with the contracts' `as const` ABIs; a transaction is simulated
 * first (`simulateContract`, so a revert is decoded before anything is sent), then sent (`writeContract`) and waited
 * for (`waitForTransactionReceipt`). Every revert is thrown as the same `VeritasRevertError` as the ethers client's
 * (the custom error's name and arguments), a transaction that simulated fine but reverted when mined as a
 * `VeritasTransactionError` (`TX_REVERTED`), a job that cannot settle as a `VeritasJobError`: all `VeritasError`s with
 * a `code`. The role clients (`veritas.reader`, `.requester`, `.verification`, `.modelOwner`, `.operator`) are the same
 * as the ethers client's.
 */
import {
  erc20Abi,
  getContract,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Client,
  type GetContractReturnType,
  type Hex,
  type TransactionReceipt,
  type Transport,
  TransactionNotFoundError,
} from "viem";
import {
  getBlock,
  getBlockNumber,
  getChainId,
  getContractEvents,
  getTransaction,
  readContract,
  simulateContract,
  waitForTransactionReceipt,
  writeContract,
} from "viem/actions";
import {
  resolveDeployment,
  toVeritasError,
  VERITAS_CLIENT_ABIS,
  VeritasClientCore,
  VeritasError,
  VeritasTransactionError,
  type ContractKey,
  type DeploymentOptions,
  type EventQuery,
  type EventRecord,
  type ReceiptInfo,
} from "./client-core.js";
import type { DeploymentRecord, VeritasAddresses } from "./deployments.js";

export * from "./client-core.js";
export { decodeVeritasError, describeError, type DecodedVeritasError } from "./errors.js";
export { JOB_STATUS_NAMES, JobStatus, Mode, modeBit, Ruling, RULING_NAMES } from "./constants.js";

/** A viem client that reads (a `PublicClient`, or any client with a transport). */
export type VeritasPublicClient = Client<Transport, Chain | undefined>;
/** A viem client that sends, with its account (a `WalletClient` created with `account`). */
export type VeritasWalletClient = Client<Transport, Chain | undefined, Account>;

export type CreateVeritasClientOptions = {
  /** Reads: calls, events, blocks, receipts. */
  publicClient: VeritasPublicClient;
  /** Sends transactions from its account (omit for a read-only client). */
  walletClient?: VeritasWalletClient;
  /** Contract addresses (at least `escrow`). */
  addresses?: VeritasAddresses;
  /** A deployment record (deployments/<chainId>.json of the repository, or your own). */
  deployment?: DeploymentRecord | string;
  /** Look the addresses up in the deployments packaged for this chain (default: the public client's chain id). */
  chainId?: number | bigint;
  /** Earliest block to search for events (default: the deployment's `deployedAtBlock`, else 0). */
  fromBlock?: number;
  /** Polling interval of `waitForResult` and of receipts, in ms (default 1000). */
  pollInterval?: number;
  /** Most blocks one backward log search query spans (default 2,000: what public RPC endpoints commonly allow). */
  maxBlockRange?: number;
};

/** The escrow as a typed viem contract (`escrow.read.balanceOf([account])`, `escrow.getEvents.JobSettled(...)`). */
export type EscrowContract = GetContractReturnType<typeof VERITAS_CLIENT_ABIS.InferenceEscrow, VeritasPublicClient>;

const WHO = "VeritasViemClient";

/**
 * Connects viem clients to a Veritas deployment: `addresses`, a `deployment` record, or the deployment packaged for
 * `chainId` (default: the public client's chain). Throws if none is found, or the deployment or the wallet client is
 * on another chain.
 */
export async function createVeritasClient(options: CreateVeritasClientOptions): Promise<VeritasViemClient> {
  const chainId = BigInt(await getChainId(options.publicClient));
  const walletChain = options.walletClient?.chain?.id;
  if (walletChain !== undefined && BigInt(walletChain) !== chainId)
    throw new VeritasError(
      "CHAIN_MISMATCH",
      `${WHO}: the wallet client is on chain ${walletChain}, the public client on chain ${chainId}`,
    );
  const { addresses, fromBlock } = await resolveDeployment(options as DeploymentOptions, chainId, WHO);
  return new VeritasViemClient(options, addresses, chainId, fromBlock);
}

/** The viem Veritas client (`createVeritasClient`): the methods of `VeritasClient`, viem receipts. */
export class VeritasViemClient extends VeritasClientCore<TransactionReceipt> {
  readonly publicClient: VeritasPublicClient;
  readonly walletClient: VeritasWalletClient | undefined;
  /** The escrow, typed from its ABI. */
  readonly escrow: EscrowContract;

  constructor(
    clients: Pick<CreateVeritasClientOptions, "publicClient" | "walletClient" | "pollInterval" | "maxBlockRange">,
    addresses: VeritasAddresses,
    chainId: bigint,
    fromBlock: number,
  ) {
    super(addresses, chainId, { fromBlock, pollInterval: clients.pollInterval, maxBlockRange: clients.maxBlockRange });
    this.publicClient = clients.publicClient;
    this.walletClient = clients.walletClient;
    this.escrow = getContract({
      address: addresses.escrow as Address,
      abi: VERITAS_CLIENT_ABIS.InferenceEscrow,
      client: this.publicClient,
    });
  }

  /** A client for the same deployment sending from another wallet client. */
  connectWallet(walletClient: VeritasWalletClient): VeritasViemClient {
    const clients = {
      publicClient: this.publicClient,
      walletClient,
      pollInterval: this.pollInterval,
      maxBlockRange: this.maxBlockRange,
    };
    return new VeritasViemClient(clients, this.addresses, this.chainId, this.fromBlock);
  }

  /** The wallet client's account address; throws for a read-only client. */
  async account(): Promise<string> {
    return this.wallet().account.address;
  }

  private wallet(): VeritasWalletClient {
    if (!this.walletClient?.account)
      throw new VeritasError(
        "NO_SIGNER",
        `${WHO}: no walletClient with an account; pass { walletClient } to send transactions`,
      );
    return this.walletClient;
  }

  private static abi(key: ContractKey): Abi {
    return key === "ERC20" ? erc20Abi : VERITAS_CLIENT_ABIS[key];
  }

  protected read(key: ContractKey, address: string, fn: string, args: readonly unknown[] = []): Promise<unknown> {
    const abi = VeritasViemClient.abi(key);
    return readContract(this.publicClient, { address: address as Address, abi, functionName: fn, args });
  }

  /** Simulates the call (a revert is decoded before anything is sent), sends it and waits for its receipt. */
  protected async write(
    key: ContractKey,
    address: string,
    fn: string,
    args: readonly unknown[],
  ): Promise<TransactionReceipt> {
    const wallet = this.wallet();
    try {
      const { request } = await simulateContract(this.publicClient, {
        address: address as Address,
        abi: VeritasViemClient.abi(key),
        functionName: fn,
        args,
        account: wallet.account,
      });
      const hash = await writeContract(wallet, { ...request, chain: wallet.chain ?? null });
      const receipt = await waitForTransactionReceipt(this.publicClient, { hash, pollingInterval: this.pollInterval });
      // Simulated fine, reverted when mined (the state changed in between): there is no revert data to decode.
      if (receipt.status !== "success")
        throw new VeritasTransactionError(hash, fn, `${WHO}: transaction ${hash} (${fn}) reverted`);
      return receipt;
    } catch (e) {
      throw toVeritasError(e);
    }
  }

  protected async events({ key, address, event, args, fromBlock, toBlock }: EventQuery): Promise<EventRecord[]> {
    const logs = await getContractEvents(this.publicClient, {
      address: address as Address,
      abi: VERITAS_CLIENT_ABIS[key] as Abi,
      eventName: event,
      args,
      fromBlock: BigInt(fromBlock),
      toBlock: toBlock === undefined ? undefined : BigInt(toBlock),
      strict: true,
    });
    return logs.map((log) => ({
      args: log.args as Record<string, unknown>,
      transactionHash: log.transactionHash!,
      blockNumber: Number(log.blockNumber),
    }));
  }

  protected async blockNumber(): Promise<number> {
    return Number(await getBlockNumber(this.publicClient, { cacheTime: 0 })); // not a cached head: a job requested a moment ago
  }

  protected async blockTimestamp(block: number | "latest"): Promise<bigint> {
    const query = block === "latest" ? { blockTag: "latest" as const } : { blockNumber: BigInt(block) };
    return (await getBlock(this.publicClient, query)).timestamp;
  }

  protected async transactionInput(hash: string): Promise<{ to: string | null; data: string } | null> {
    try {
      const tx = await getTransaction(this.publicClient, { hash: hash as Hex });
      return { to: tx.to, data: tx.input };
    } catch (e) {
      if (e instanceof TransactionNotFoundError) return null;
      throw e;
    }
  }

  protected receiptInfo(receipt: TransactionReceipt): ReceiptInfo {
    return { hash: receipt.transactionHash, blockNumber: Number(receipt.blockNumber), logs: receipt.logs };
  }
}
