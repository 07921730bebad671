import {
  Contract,
  isError,
  type ContractTransactionResponse,
  type EventLog,
  type Provider,
  type Signer,
  type TransactionReceipt,
} from "ethers";
import {
  InferenceEscrow__factory,
  ModelRegistry__factory,
  NodeStaking__factory,
  TeeRegistry__factory,
  type InferenceEscrow,
  type ModelRegistry,
  type NodeStaking,
  type TeeRegistry,
} from "../typechain-types/index.js";
import {
  indexedArgs,
  resolveDeployment,
  toVeritasError,
  VERITAS_CLIENT_ABIS,
  VeritasClientCore,
  VeritasError,
  VeritasTransactionError,
  type ContractKey,
  type EventQuery,
  type EventRecord,
  type ReceiptInfo,
} from "./client-core.js";
import type { DeploymentRecord, VeritasAddresses } from "./deployments.js";

// The types, errors and helpers both clients share (the ethers and the viem one, src/viem.ts).
export * from "./client-core.js";

/** The ERC-20 functions the client uses on the payment token. */
export const ERC20_ABI = [
  "function approve(address spender, uint256 amount) returns (bool)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function balanceOf(address account) view returns (uint256)",
  "function decimals() view returns (uint8)",
  "function symbol() view returns (string)",
] as const;

export type ConnectOptions = {
  /** Contract addresses (at least `escrow`). */
  addresses?: VeritasAddresses;
  /** A deployment record (deployments/<chainId>.json of the repository, or your own). */
  deployment?: DeploymentRecord | string;
  /** Look the addresses up in the deployments packaged for this chain (default: the provider's chain id). */
  chainId?: number | bigint;
  /** Earliest block to search for events (default: the deployment's `deployedAtBlock`, else 0). */
  fromBlock?: number;
  /** Polling interval of `waitForResult`, in ms (default 1000). */
  pollInterval?: number;
  /** Most blocks one backward log search query spans (default 2,000: what public RPC endpoints commonly allow). */
  maxBlockRange?: number;
};

function isSigner(runner: Signer | Provider): runner is Signer {
  return (
    typeof (runner as Signer).getAddress === "function" && typeof (runner as Signer).sendTransaction === "function"
  );
}

function providerOf(runner: Signer | Provider): Provider {
  const provider = isSigner(runner) ? runner.provider : runner;
  if (!provider) throw new VeritasError("NO_PROVIDER", "VeritasClient: the signer has no provider");
  return provider;
}

/**
 * A typed client for requesters (and node operators' withdrawals): connect with an ethers v6 Signer (to send) or
 * Provider (read only) and the addresses of a deployment. The viem client with the same methods:
 * `@veritas-protocol/contracts/viem` (src/viem.ts); both run the role clients of src/roles.ts.
 *
 *   const client = await VeritasClient.connect(signer);                 // deployments packaged for the chain
 *   const client = await VeritasClient.connect(signer, { addresses });   // any deployment
 *   await client.deposit(5_000_000n);
 *   const { jobId } = await client.requestInference({ versionId: 1n, payment: 1_000_000n, input: "…", inputURI: "ipfs://…" });
 *   const { output } = await client.waitForResult(jobId, { timeout: 120_000 });
 *
 * The role clients are on it too, each usable alone: `client.reader`, `client.requester`, `client.verification`,
 * `client.modelOwner`, `client.operator` (src/roles.ts). Every error is a `VeritasError` with a `code`; a revert is a
 * `VeritasRevertError` (`CONTRACT_REVERT`) whose message is the custom error with its arguments.
 */
export class VeritasClient extends VeritasClientCore<TransactionReceipt> {
  readonly escrow: InferenceEscrow;
  readonly registry: ModelRegistry | undefined;
  readonly staking: NodeStaking | undefined;
  readonly tee: TeeRegistry | undefined;
  readonly signer: Signer | undefined;
  readonly provider: Provider;
  private paymentTokenContract: Contract | undefined;

  private constructor(
    runner: Signer | Provider,
    addresses: VeritasAddresses,
    chainId: bigint,
    options: ConnectOptions & { fromBlock: number },
  ) {
    super(addresses, chainId, options);
    this.signer = isSigner(runner) ? runner : undefined;
    this.provider = providerOf(runner);
    this.escrow = InferenceEscrow__factory.connect(addresses.escrow, runner);
    this.registry = addresses.registry ? ModelRegistry__factory.connect(addresses.registry, runner) : undefined;
    this.staking = addresses.staking ? NodeStaking__factory.connect(addresses.staking, runner) : undefined;
    this.tee = addresses.tee ? TeeRegistry__factory.connect(addresses.tee, runner) : undefined;
  }

  /**
   * Connects to a deployment: `addresses`, a `deployment` record, or the deployment packaged for `chainId` (default:
   * the provider's chain). Throws if none is found.
   */
  static async connect(runner: Signer | Provider, options: ConnectOptions = {}): Promise<VeritasClient> {
    const chainId = (await providerOf(runner).getNetwork()).chainId;
    const { addresses, fromBlock } = await resolveDeployment(options, chainId, "VeritasClient");
    return new VeritasClient(runner, addresses, chainId, { ...options, fromBlock });
  }

  /** A client for the same deployment acting as another signer. */
  connectSigner(signer: Signer): VeritasClient {
    return new VeritasClient(signer, this.addresses, this.chainId, {
      fromBlock: this.fromBlock,
      pollInterval: this.pollInterval,
      maxBlockRange: this.maxBlockRange,
    });
  }

  /** The payment token (ERC-20 functions of `ERC20_ABI`). */
  async paymentToken(): Promise<Contract> {
    this.paymentTokenContract ??= this.contract("ERC20", await this.paymentTokenAddress());
    return this.paymentTokenContract;
  }

  /** The signer's address; throws for a read-only client. */
  async account(): Promise<string> {
    if (!this.signer)
      throw new VeritasError(
        "NO_SIGNER",
        "VeritasClient: connected with a Provider only; connect with a Signer to send transactions",
      );
    return this.signer.getAddress();
  }

  /**
   * Sends a transaction through the client's error decoding: a revert becomes a `VeritasRevertError`, a mined
   * transaction that reverted without revert data a `VeritasTransactionError` (`TX_REVERTED`).
   */
  async send(
    fn: () => Promise<ContractTransactionResponse>,
    functionName = "transaction",
  ): Promise<TransactionReceipt> {
    try {
      const tx = await fn();
      // One confirmation: ethers resolves with the receipt once mined (null only when asked for 0 confirmations).
      return (await tx.wait())!;
    } catch (e) {
      const decoded = toVeritasError(e);
      if (decoded === e && isError(e, "CALL_EXCEPTION") && e.receipt) {
        const hash = e.receipt.hash;
        throw new VeritasTransactionError(
          hash,
          functionName,
          `VeritasClient: transaction ${hash} (${functionName}) reverted`,
          {
            cause: e,
          },
        );
      }
      throw decoded;
    }
  }

  private contract(key: ContractKey, address: string): Contract {
    const abi = key === "ERC20" ? ERC20_ABI : VERITAS_CLIENT_ABIS[key];
    return new Contract(address, abi, this.signer ?? this.provider);
  }

  protected read(key: ContractKey, address: string, fn: string, args: readonly unknown[] = []): Promise<unknown> {
    return this.contract(key, address)
      .getFunction(fn)
      .staticCall(...args);
  }

  protected write(
    key: ContractKey,
    address: string,
    fn: string,
    args: readonly unknown[],
  ): Promise<TransactionReceipt> {
    return this.send(
      () =>
        this.contract(key, address)
          .getFunction(fn)
          .send(...args),
      fn,
    );
  }

  protected async events({ key, address, event, args, fromBlock, toBlock }: EventQuery): Promise<EventRecord[]> {
    const contract = new Contract(address, VERITAS_CLIENT_ABIS[key], this.provider);
    const filter = contract.filters[event](...indexedArgs(key, event, args));
    const logs = await contract.queryFilter(filter, fromBlock, toBlock ?? "latest");
    return (logs as EventLog[]).map((e) => ({
      args: e.args as unknown as Record<string, unknown>,
      transactionHash: e.transactionHash,
      blockNumber: e.blockNumber,
    }));
  }

  protected blockNumber(): Promise<number> {
    return this.provider.getBlockNumber();
  }

  protected async blockTimestamp(block: number | "latest"): Promise<bigint> {
    return BigInt((await this.provider.getBlock(block))?.timestamp ?? 0);
  }

  protected async transactionInput(hash: string): Promise<{ to: string | null; data: string } | null> {
    const tx = await this.provider.getTransaction(hash);
    return tx && { to: tx.to, data: tx.data };
  }

  protected receiptInfo(receipt: TransactionReceipt): ReceiptInfo {
    return { hash: receipt.hash, blockNumber: receipt.blockNumber, logs: receipt.logs };
  }
}
