import {
  ErrorFragment,
  Interface,
  type ErrorDescription,
  type InterfaceAbi,
  type ParamType,
  type Result,
} from "ethers";
import * as typechain from "../typechain-types/index.js";
import { JOB_STATUS_NAMES } from "./constants.js";

/** A revert decoded against every Veritas ABI: the custom error's name and its named arguments. */
export interface DecodedVeritasError {
  /** The custom error's name, e.g. `InsufficientBalance` (`Error` for a revert string, `Panic` for a panic code). */
  name: string;
  /** Its canonical signature, e.g. `InsufficientBalance(address,uint256,uint256)`. */
  signature: string;
  /** The 4-byte selector. */
  selector: string;
  /** The arguments by name (positional names `arg0`… where the ABI has none). */
  args: Record<string, unknown>;
  /** The arguments in order. */
  values: unknown[];
  /** The raw revert data. */
  data: string;
  /** Readable form, e.g. `InsufficientBalance(account=0x…, balance=0, needed=1000000)`. */
  message: string;
}

/**
 * What went wrong, as a stable string: branch on `e.code`, never on a message.
 *
 * - `CONTRACT_REVERT`: a Veritas contract reverted (`VeritasRevertError`: the custom error's name and arguments).
 * - `TX_REVERTED`: a transaction was mined but reverted, without revert data to decode (e.g. it simulated fine and
 *   the state changed before it was mined) (`VeritasTransactionError`).
 * - `NO_SIGNER`: a read-only client was asked to send; `NO_PROVIDER`: an ethers signer without a provider.
 * - `DEPLOYMENT_NOT_FOUND`: no deployment is packaged for the chain; `INVALID_DEPLOYMENT`: a deployment record
 *   without `contracts.escrow`; `CHAIN_MISMATCH`: the deployment or the wallet client is on another chain.
 * - `INVALID_INPUT`: a request's input cannot give the digest its mode needs (nothing was sent).
 * - `MISSING_EVENT`: a mined transaction lacks the event the client reads its result from.
 * - Jobs (`VeritasJobError`): `UNKNOWN_JOB`, `JOB_CANCELLED`, `JOB_EXPIRED`, `JOB_REFUNDED` (with the refund),
 *   `PAST_DEADLINE` (it can no longer settle: expire it), `NO_PROPOSAL` (nothing to finalize), `TIMEOUT`.
 */
export type VeritasErrorCode =
  | "CONTRACT_REVERT"
  | "TX_REVERTED"
  | "NO_SIGNER"
  | "NO_PROVIDER"
  | "DEPLOYMENT_NOT_FOUND"
  | "INVALID_DEPLOYMENT"
  | "CHAIN_MISMATCH"
  | "INVALID_INPUT"
  | "MISSING_EVENT"
  | "NOT_IN_ZK_FAMILY"
  | JobErrorCode
  | ModelErrorCode;

/** What is wrong with a model bundle, an artefact or an input (`ModelError.code`, thrown by the node's pipelines). */
export type ModelErrorCode =
  | "BAD_BUNDLE"
  | "DIGEST_MISMATCH"
  | "CID_MISMATCH"
  | "UNSUPPORTED_RUNTIME"
  | "UNKNOWN_PIPELINE"
  | "BAD_INPUT"
  | "BAD_OUTPUT"
  | "FETCH_FAILED";

/** Why a job gave no result (`VeritasJobError.code`). */
export type JobErrorCode =
  "UNKNOWN_JOB" | "JOB_CANCELLED" | "JOB_EXPIRED" | "JOB_REFUNDED" | "PAST_DEADLINE" | "NO_PROPOSAL" | "TIMEOUT";

/**
 * Every error the Veritas clients throw (`VeritasClient`, `VeritasViemClient` and their role clients): a stable `code`,
 * a readable message and, where there is one, the underlying error as `cause`. Subclasses carry the details:
 * `VeritasRevertError` (a decoded revert), `VeritasTransactionError` (a mined transaction), `VeritasJobError` (a job);
 * the node package's `ModelError` (a bundle, an artefact or an input) is one too.
 */
export class VeritasError extends Error {
  override readonly name: string = "VeritasError";
  constructor(
    readonly code: VeritasErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A Veritas contract reverted (`code` `CONTRACT_REVERT`): the custom error decoded, its name and arguments. `cause` is
 * the provider's (or viem's) error.
 */
export class VeritasRevertError extends VeritasError {
  override readonly name: string = "VeritasRevertError";
  declare readonly code: "CONTRACT_REVERT";
  constructor(
    readonly decoded: DecodedVeritasError,
    options?: { cause?: unknown },
  ) {
    super("CONTRACT_REVERT", decoded.message, options);
  }
  /** The custom error's name, e.g. `InsufficientBalance`. */
  get errorName(): string {
    return this.decoded.name;
  }
  /** The custom error's arguments by name. */
  get args(): Record<string, unknown> {
    return this.decoded.args;
  }
}

/** A mined transaction that reverted with nothing to decode (`code` `TX_REVERTED`). */
export class VeritasTransactionError extends VeritasError {
  override readonly name: string = "VeritasTransactionError";
  declare readonly code: "TX_REVERTED";
  constructor(
    /** The mined transaction. */
    readonly transactionHash: string,
    /** The contract function it called. */
    readonly functionName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("TX_REVERTED", message, options);
  }
}

/** A job that gave no result, or is not there (`code`: a `JobErrorCode`). */
export class VeritasJobError extends VeritasError {
  override readonly name: string = "VeritasJobError";
  declare readonly code: JobErrorCode;
  constructor(
    code: JobErrorCode,
    readonly jobId: bigint,
    message: string,
    /** The refund credited to the requester's escrow balance (`JOB_CANCELLED`, `JOB_EXPIRED`, `JOB_REFUNDED`). */
    readonly refund?: bigint,
  ) {
    super(code, message);
  }
}

/** Rethrows a Veritas revert as a `VeritasRevertError` (name and arguments decoded); other errors unchanged. */
export function toVeritasError(e: unknown): unknown {
  if (e instanceof VeritasError) return e;
  const decoded = decodeVeritasError(e);
  return decoded ? new VeritasRevertError(decoded, { cause: e }) : e;
}

const PANIC_REASONS: Record<number, string> = {
  0x01: "assertion failed",
  0x11: "arithmetic overflow or underflow",
  0x12: "division or modulo by zero",
  0x21: "invalid enum value",
  0x22: "invalid storage byte array",
  0x31: "pop on an empty array",
  0x32: "array index out of bounds",
  0x41: "out of memory",
  0x51: "call to an uninitialized function",
};

let errorInterface: Interface | undefined;

/** Every ABI shipped with the package (all TypeChain factories: contracts, interfaces, libraries, examples). */
export function veritasAbis(): Record<string, InterfaceAbi> {
  const out: Record<string, InterfaceAbi> = {};
  const seen = new Set<unknown>();
  const visit = (value: unknown, name: string) => {
    if (value === null || (typeof value !== "object" && typeof value !== "function") || seen.has(value)) return;
    seen.add(value);
    const abi = (value as { abi?: unknown }).abi;
    if (typeof value === "function" && Array.isArray(abi)) {
      out[name.replace(/__factory$/, "")] = abi as InterfaceAbi;
      return;
    }
    if (typeof value === "object") for (const [k, v] of Object.entries(value as object)) visit(v, k);
  };
  visit(typechain, "");
  return out;
}

/** One interface holding every custom error of every Veritas ABI (the same error in two ABIs appears once). */
export function veritasErrorInterface(): Interface {
  if (errorInterface) return errorInterface;
  const bySelector = new Map<string, ErrorFragment>();
  for (const abi of Object.values(veritasAbis())) {
    for (const fragment of new Interface(abi).fragments) {
      if (fragment instanceof ErrorFragment && !bySelector.has(fragment.selector))
        bySelector.set(fragment.selector, fragment);
    }
  }
  errorInterface = new Interface([...bySelector.values()]);
  return errorInterface;
}

const HEX_DATA = /^0x(?:[0-9a-fA-F]{2}){4,}$/;
const DATA_IN_MESSAGE = /(?:return data|data)["']?\s*[:=]\s*["']?(0x(?:[0-9a-fA-F]{2}){4,})/;

/**
 * Finds the revert data in an error thrown by ethers, viem, Hardhat or a JSON-RPC node (`err.data`, `err.error.data`,
 * `err.info.error.data`, `err.cause`…, viem's `raw` along its `BaseError` chain, or `data="0x…"` in a message). Never
 * reads a transaction's calldata.
 */
export function findRevertData(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const walk = (e: unknown, depth: number): string | undefined => {
    if (typeof e === "string") return HEX_DATA.test(e) ? e : undefined;
    if (e === null || typeof e !== "object" || depth > 8 || seen.has(e)) return undefined;
    seen.add(e);
    if (e instanceof VeritasRevertError) return e.decoded.data;
    const o = e as Record<string, unknown>;
    if (typeof o.data === "string" && HEX_DATA.test(o.data)) return o.data;
    // viem: ContractFunctionRevertedError keeps the revert data as `raw` (its `data` is the decoded error, if its ABI
    // had it); the `cause` walk below is BaseError's `walk()`, down to the RPC error and its `data`.
    if (typeof o.raw === "string" && HEX_DATA.test(o.raw)) return o.raw;
    for (const key of ["data", "error", "info", "cause"]) {
      const found = walk(o[key], depth + 1);
      if (found) return found;
    }
    if (Array.isArray(o.errors)) {
      for (const inner of o.errors) {
        const found = walk(inner, depth + 1);
        if (found) return found;
      }
    }
    // viem's messages print the call's arguments ("Raw Call Arguments: … data: 0x<calldata>"): never read them.
    if (typeof o.walk === "function" && typeof o.shortMessage === "string") return undefined;
    for (const key of ["message", "shortMessage", "details"]) {
      const m = typeof o[key] === "string" ? DATA_IN_MESSAGE.exec(o[key] as string) : null;
      if (m) return m[1];
    }
    return undefined;
  };
  return walk(err, 0);
}

/**
 * Decodes a revert into its Veritas custom error and arguments. Accepts whatever a call threw (ethers, viem, Hardhat,
 * JSON-RPC errors, a `VeritasRevertError`) or the revert data itself. Returns `undefined` when there is no revert data or the
 * selector is not a Veritas error, `Error(string)` or `Panic(uint256)`.
 *
 *   decodeVeritasError(err)?.message  // "InsufficientBalance(account=0xf39F…, balance=0, needed=1000000)"
 */
export function decodeVeritasError(err: unknown): DecodedVeritasError | undefined {
  if (err instanceof VeritasRevertError) return err.decoded;
  const data = findRevertData(err);
  if (!data) return undefined;
  let description: ErrorDescription | null = null;
  try {
    description = veritasErrorInterface().parseError(data);
  } catch {
    description = null;
  }
  if (!description) return undefined;
  const inputs = description.fragment.inputs;
  const values = inputs.map((_, i) => plain(description!.args[i]));
  const args: Record<string, unknown> = {};
  inputs.forEach((p, i) => (args[p.name || `arg${i}`] = values[i]));
  const shown = inputs.map((p, i) => {
    const value = formatValue(description!.args[i], p, description!.name);
    return inputs.length === 1 && !p.name ? value : `${p.name || `arg${i}`}=${value}`;
  });
  return {
    name: description.name,
    signature: description.signature,
    selector: description.selector,
    args,
    values,
    data,
    message: `${description.name}(${shown.join(", ")})`,
  };
}

/** `decodeVeritasError(err).message`, or the error's own message when it is not a Veritas revert. */
export function describeError(err: unknown): string {
  const decoded = decodeVeritasError(err);
  if (decoded) return decoded.message;
  if (err instanceof Error) return (err as { shortMessage?: string }).shortMessage ?? err.message;
  return String(err);
}

function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain); // ethers Result is an Array
  return v;
}

function formatValue(v: unknown, p: ParamType, errorName: string): string {
  if (p.isArray() && Array.isArray(v))
    return `[${v.map((x) => formatValue(x, p.arrayChildren!, errorName)).join(", ")}]`;
  if (p.isTuple() && Array.isArray(v)) {
    const comps = p.components!;
    return `(${comps.map((c, i) => `${c.name ? `${c.name}=` : ""}${formatValue((v as Result)[i], c, errorName)}`).join(", ")})`;
  }
  if (typeof v === "bigint") {
    if (errorName === "Panic")
      return `0x${v.toString(16).padStart(2, "0")}${PANIC_REASONS[Number(v)] ? ` (${PANIC_REASONS[Number(v)]})` : ""}`;
    // ParamType drops internalType; the escrow's only enum argument is JobStatus (InvalidJobStatus).
    if (errorName === "InvalidJobStatus" && p.type === "uint8") return `${v} (${JOB_STATUS_NAMES[Number(v)] ?? "?"})`;
    return v.toString();
  }
  if (typeof v === "string") return p.type === "string" ? JSON.stringify(v) : v;
  return String(v);
}
