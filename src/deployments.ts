import { VeritasError } from "./errors.js";

/** Contract addresses of one Veritas deployment (the `contracts` of deployments/<chainId>.json). */
export type VeritasAddresses = {
  escrow: string;
  registry?: string;
  staking?: string;
  tee?: string;
  teeVerifier?: string;
  attestation?: string;
  token?: string;
  paymentToken?: string;
  timelock?: string;
};

/** A deployment record as `scripts/deploy.ts` writes it to deployments/<chainId>.json. */
export type DeploymentRecord = {
  chainId: number;
  network: string;
  deployedAtBlock: number;
  contracts: VeritasAddresses & Record<string, string>;
  parameters?: Record<string, Record<string, string | number | boolean>>;
};

/** The directory of the deployment records: `deployments/` beside `src/` (repository) and `dist/` (package). */
const DEPLOYMENTS_DIR = new URL("../deployments/", import.meta.url);

/** The environment variable that moves a project's deployment records out of `deployments/` (tests use it). */
export const DEPLOYMENTS_DIR_VARIABLE = "VERITAS_DEPLOYMENTS_DIR";

/**
 * The directory where a project's tooling (`scripts/deploy.ts`, the tasks) writes and reads deployment records:
 * `<root>/deployments`, or VERITAS_DEPLOYMENTS_DIR (absolute, or relative to `root`). Test files that run in
 * parallel, each against its own JSON-RPC node, point it at their own directory so they never share a record.
 */
export function deploymentsDirectory(
  root: string,
  env: Record<string, string | undefined> = globalThis.process?.env ?? {},
): string {
  const dir = env[DEPLOYMENTS_DIR_VARIABLE] || "deployments";
  return /^([/\\]|[A-Za-z]:[/\\])/.test(dir) ? dir : `${root.replace(/[/\\]+$/, "")}/${dir}`;
}

/**
 * The deployment record packaged for `chainId` (deployments/<chainId>.json), or `undefined` if there is none.
 * Public networks only: a local chain's record (31337) is never packaged. Node.js only (reads a file).
 */
export async function loadDeployment(chainId: number | bigint): Promise<DeploymentRecord | undefined> {
  const { readFile } = await import("node:fs/promises");
  try {
    const text = await readFile(new URL(`${chainId}.json`, DEPLOYMENTS_DIR), "utf8");
    return parseDeployment(text);
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return undefined;
    throw e;
  }
}

/** Parses and checks a deployment record (JSON text or an object). */
export function parseDeployment(input: string | unknown): DeploymentRecord {
  const r = (typeof input === "string" ? JSON.parse(input) : input) as Partial<DeploymentRecord>;
  if (!r || typeof r !== "object" || !r.contracts || typeof r.contracts.escrow !== "string") {
    throw new VeritasError("INVALID_DEPLOYMENT", "not a Veritas deployment record: `contracts.escrow` is missing");
  }
  return { network: "", deployedAtBlock: 0, ...r, chainId: Number(r.chainId) } as DeploymentRecord;
}
