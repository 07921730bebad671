import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Contract, formatUnits, isAddress, parseUnits, toUtf8String, type Signer } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { ERC20_ABI, maskOf, modesOf, VeritasClient, type Verification, type VerifiedResult } from "../src/client.js";
import { Mode, modeBit } from "../src/constants.js";
import { deploymentsDirectory, parseDeployment } from "../src/deployments.js";
import { decodeVeritasError, VeritasError, type VeritasErrorCode } from "../src/errors.js";

/** Options every `veritas` task takes. */
export type CommonArgs = { deployment: string | undefined; account: string | undefined };

/** What a task acts with: the client of its signer (its role clients: `client.operator`, `client.modelOwner`…). */
export type TaskContext = { client: VeritasClient; address: string };

/** Where a task's output goes (tests replace it to read what a command prints). */
export const io = {
  out: (line: string) => console.log(line),
  err: (line: string) => console.error(line),
};

/**
 * The connection of the task's network (`--network`, shared with other tasks and scripts of this process), the signer
 * (`--account`: an index into the network's accounts or an address; default the first) and the deployment
 * (`--deployment <file>`, default deployments/<chainId>.json of this project, or of VERITAS_DEPLOYMENTS_DIR).
 */
export async function taskContext(args: CommonArgs, hre: HardhatRuntimeEnvironment): Promise<TaskContext> {
  const { ethers } = await hre.network.getOrCreate();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const deploymentFile = args.deployment
    ? path.resolve(args.deployment)
    : path.join(path.resolve(deploymentsDirectory(hre.config.paths.root)), `${chainId}.json`);
  if (!existsSync(deploymentFile)) {
    throw new UsageError(
      `no deployment record at ${deploymentFile}: deploy with \`npx hardhat run scripts/deploy.ts --network <name>\` or pass --deployment <file>`,
    );
  }
  const record = parseDeployment(readFileSync(deploymentFile, "utf8"));
  let signer: Signer;
  const account = args.account;
  if (account === undefined || account === "") signer = (await ethers.getSigners())[0];
  else if (/^\d+$/.test(account)) {
    const signers = await ethers.getSigners();
    signer = signers[Number(account)];
    if (!signer) throw new UsageError(`--account ${account}: the network has ${signers.length} accounts`);
  } else if (isAddress(account)) signer = await ethers.getSigner(account);
  else throw new UsageError(`--account must be an account index or an address, not ${account}`);
  if (!signer) throw new UsageError("the network has no accounts: configure one (e.g. a keystore private key)");
  return { client: await VeritasClient.connect(signer, { deployment: record }), address: await signer.getAddress() };
}

/** A mistake in the command line (printed without a stack trace). */
export class UsageError extends Error {}

/**
 * Why a task failed: a revert's custom error (`name`, `args`; `code` `CONTRACT_REVERT`), a client error's `code`
 * (`VeritasErrorCode`: `TX_REVERTED`, `TIMEOUT`, `JOB_EXPIRED`…; `name` its class), or a `UsageError` (no `code`).
 */
export type TaskFailure = { name: string; args: Record<string, unknown>; message: string; code?: VeritasErrorCode };
export type TaskResult<T> =
  { readonly success: true; readonly value: T } | { readonly success: false; readonly error: TaskFailure };

/**
 * Runs a task body: its return value becomes a successful Result (hardhat/utils/result); a failure is printed on one
 * line and returned as a failed Result, which makes the CLI exit with code 1. A revert prints as its custom error and
 * arguments (`Reverted: InsufficientBalance(account=0x…, balance=0, needed=1000000)`), another error of the client
 * with its code (`Error [TX_REVERTED]: …`), anything else as its message (`Error: …`), never with a stack trace.
 */
export async function runTask<T>(body: () => Promise<T>): Promise<TaskResult<T>> {
  const failed = (error: TaskFailure): TaskResult<T> => ({ success: false, error });
  try {
    return { success: true, value: await body() };
  } catch (e) {
    // A VeritasRevertError, or a revert met outside the client (decoded the same way).
    const decoded = decodeVeritasError(e);
    if (decoded) {
      io.err(`Reverted: ${decoded.message}`);
      return failed({ code: "CONTRACT_REVERT", name: decoded.name, args: decoded.args, message: decoded.message });
    }
    if (e instanceof VeritasError) {
      io.err(`Error [${e.code}]: ${e.message}`);
      return failed({ code: e.code, name: e.name, args: {}, message: e.message });
    }
    const message = e instanceof Error ? ((e as { shortMessage?: string }).shortMessage ?? e.message) : String(e);
    io.err(`Error: ${message}`);
    return failed({ name: e instanceof UsageError ? "UsageError" : "Error", args: {}, message });
  }
}

/**
 * Parses `tee,zk,optimistic` into `Mode` values (what the role clients take). A number is a bit mask of modes, and
 * must be one: a bit that is no mode is a usage error (nothing is sent).
 */
export function parseModes(spec: string): number[] {
  if (/^\d+$/.test(spec)) {
    const modes = modesOf(Number(spec));
    if (maskOf(modes) !== Number(spec))
      throw new UsageError(
        `${spec} is not a mask of modes: use tee, zk or optimistic (or the sum of their bits: ` +
          `${Object.entries(Mode)
            .map(([name, m]) => `${name.toLowerCase()} ${modeBit(m)}`)
            .join(", ")})`,
      );
    return modes;
  }
  const modes: number[] = [];
  for (const name of spec
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean)) {
    const mode = Mode[name as keyof typeof Mode];
    if (mode === undefined) throw new UsageError(`unknown mode ${name}: use tee, zk or optimistic`);
    if (!modes.includes(mode)) modes.push(mode);
  }
  return modes;
}

/** Parses one mode name (or its number). */
export function parseMode(spec: string): number {
  if (/^\d+$/.test(spec)) return Number(spec);
  const mode = Mode[spec.trim().toUpperCase() as keyof typeof Mode];
  if (mode === undefined) throw new UsageError(`unknown mode ${spec}: use tee, zk or optimistic`);
  return mode;
}

/** A token amount given in whole units ("1.5"), as base units. */
function parseAmount(value: string, decimals: bigint | number, what: string): bigint {
  try {
    return parseUnits(value, Number(decimals));
  } catch {
    throw new UsageError(`${what}: not an amount: ${value}`);
  }
}

function formatAmount(value: bigint, decimals: bigint | number, symbol: string): string {
  return `${formatUnits(value, Number(decimals))} ${symbol}`;
}

/** Output bytes as hex, plus the text when they are printable UTF-8. */
export function describeOutput(output: string): string {
  try {
    const text = toUtf8String(output);
    if (/^[\x20-\x7e\t\n\r]*$/.test(text) && text.length > 0) return `${output} (${JSON.stringify(text)})`;
  } catch {
    // not UTF-8
  }
  return output;
}

export function requireOption<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === "") throw new UsageError(`${flag} is required`);
  return value;
}

export function requireBytes32(value: string | undefined, flag: string): string {
  const v = requireOption(value, flag);
  if (!/^0x[0-9a-fA-F]{64}$/.test(v)) throw new UsageError(`${flag} must be 32 bytes of hex (0x + 64 digits)`);
  return v;
}

/** One line saying how a result was verified, with the reference to check it by. */
export function describeVerification(v: Verification): string {
  switch (v.mode) {
    case "TEE":
      return (
        `TEE: signed by enclave key ${v.enclaveKey ?? "(not recovered)"}` +
        (v.measurement ? ` (measurement ${v.measurement}, attestation tx ${v.attestationTx ?? "?"})` : "") +
        (v.batchSize > 1 ? `, one signature over a batch of ${v.batchSize}` : "") +
        `; settled in tx ${v.transactionHash}`
      );
    case "ZK":
      return `ZK: Groth16 proof checked by verifier ${v.verifier} in tx ${v.transactionHash}`;
    case "OPTIMISTIC":
      return v.settledBy === "finalize"
        ? `optimistic: proposed in tx ${v.proposalTx}, unchallenged until ${v.challengeEnds}, finalized in tx ${v.transactionHash}`
        : `optimistic: proposed in tx ${v.proposalTx}, challenged and upheld ${v.byProof ? "by a ZK proof" : "by the arbitrator"} in tx ${v.transactionHash}`;
  }
}

/** Prints a verified result: output, verification, payments and timing. */
export function printVerifiedResult(r: VerifiedResult): void {
  io.out(`Output: ${describeOutput(r.output)}`);
  io.out(`Verified (${r.mode}): ${describeVerification(r.verification)}`);
  io.out(
    `Node ${r.node} paid ${r.nodeFee}, royalty ${r.royalty}, protocol fee ${r.protocolFee}; ` +
      `settled ${r.settledAt - r.requestedAt} s after the request`,
  );
}

/** A token's units, read once: parse whole-unit amounts from flags and format base units back. */
export type TokenUnits = {
  decimals: bigint;
  symbol: string;
  parse(value: string, flag: string): bigint;
  format(v: bigint): string;
};

/** The units of the ERC-20 token at `address`. */
async function tokenUnits(ctx: TaskContext, address: string): Promise<TokenUnits> {
  const token = new Contract(address, ERC20_ABI, ctx.client.provider);
  const [decimals, symbol] = [BigInt(await token.decimals()), String(await token.symbol())];
  return {
    decimals,
    symbol,
    parse: (value, flag) => parseAmount(value, decimals, flag),
    format: (v) => formatAmount(v, decimals, symbol),
  };
}

/** The payment token's units (escrow payments, balances, royalties). */
export async function paymentUnits(ctx: TaskContext): Promise<TokenUnits> {
  return tokenUnits(ctx, await ctx.client.reader.paymentTokenAddress());
}

/** The staking token's units (stake, collateral). */
export async function stakingUnits(ctx: TaskContext): Promise<TokenUnits> {
  return tokenUnits(ctx, await ctx.client.operator.stakingTokenAddress());
}

/** The payment token's and the staking token's units of a task's deployment. */
export async function suiteUnits(ctx: TaskContext): Promise<{ usd: TokenUnits; vrt: TokenUnits }> {
  return { usd: await paymentUnits(ctx), vrt: await stakingUnits(ctx) };
}

/** `--measurements 0x…,0x…` as bytes32 values (none when absent). */
export function parseMeasurements(spec: string | undefined): string[] {
  return (spec ?? "")
    .split(",")
    .map((m) => m.trim())
    .filter(Boolean)
    .map((m) => requireBytes32(m, "--measurements"));
}
