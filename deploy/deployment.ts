import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { deploymentsDirectory } from "../src/deployments.js";
import { parameterDefault } from "./suite.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Where deployment records live: `deployments/` of this project, or VERITAS_DEPLOYMENTS_DIR (see src/deployments.ts). */
export const DEPLOYMENTS_DIR = path.resolve(deploymentsDirectory(ROOT));

/** Ignition parameters keyed by module id, as in deploy/parameters/*.json. */
export type Parameters = Record<string, Record<string, string | number | boolean>>;

export type DeploymentRecord = {
  chainId: number;
  network: string;
  deployedAtBlock: number;
  contracts: Record<string, string>;
  parameters: Parameters;
};

/** The parameter file of a network: `local.json` for local chains, else `<network>.json`. */
export function parametersFileFor(networkName: string, chainId: bigint): string {
  const local = chainId === 31337n || networkName === "localhost" || networkName.startsWith("hardhat");
  return path.join(ROOT, "deploy", "parameters", local ? "local.json" : `${networkName}.json`);
}

export function readParameters(file: string): Parameters {
  return JSON.parse(readFileSync(file, "utf8")) as Parameters;
}

/**
 * Reads every parameter back from the deployed contracts and compares it with what was asked. Returns the mismatches
 * (empty when the deployment is exactly what the parameter file says).
 */
export async function checkDeployment(ethers: HardhatEthers, d: DeploymentRecord, deployer: string): Promise<string[]> {
  const p = d.parameters;
  const c = d.contracts;
  const problems: string[] = [];
  const expect = (what: string, actual: unknown, expected: unknown) => {
    if (String(actual).toLowerCase() !== String(expected).toLowerCase()) {
      problems.push(`${what}: deployed ${String(actual)}, expected ${String(expected)}`);
    }
  };
  // What was asked: the parameter file's value, else the plan's default (deploy/suite.ts), as Ignition resolves it.
  const get = (mod: string, key: string) => p[mod]?.[key] ?? parameterDefault(mod, key, deployer);

  const timelock = await ethers.getContractAt("VeritasTimelock", c.timelock);
  const token = await ethers.getContractAt("VeritasToken", c.token);
  const staking = await ethers.getContractAt("NodeStaking", c.staking);
  const tee = await ethers.getContractAt("TeeRegistry", c.tee);
  const attestation = await ethers.getContractAt("SignedAttestationVerifier", c.attestation);
  const teeVerifier = await ethers.getContractAt("TeeResultVerifier", c.teeVerifier);
  const escrow = await ethers.getContractAt("InferenceEscrow", c.escrow);

  expect("Governance.minDelay", await timelock.getMinDelay(), get("Governance", "minDelay"));
  const governor = get("Governance", "governor");
  expect(
    "Governance.governor is proposer",
    await timelock.hasRole(await timelock.PROPOSER_ROLE(), governor as string),
    true,
  );
  expect("VeritasToken.supply", await token.totalSupply(), get("VeritasToken", "supply"));
  expect("NodeStaking.stakingToken", await staking.stakingToken(), c.token);
  expect("NodeStaking.minStake", await staking.minStake(), get("NodeStaking", "minStake"));
  expect("NodeStaking.unbondingPeriod", await staking.unbondingPeriod(), get("NodeStaking", "unbondingPeriod"));
  expect("NodeStaking.treasury", await staking.treasury(), get("NodeStaking", "treasury"));
  expect("NodeStaking.escrow (bound)", await staking.escrow(), c.escrow);
  expect("TeeRegistry.staking", await tee.staking(), c.staking);
  expect("TeeRegistry.attestationVerifier", await tee.attestationVerifier(), c.attestation);
  expect("TeeResultVerifier.teeRegistry", await teeVerifier.teeRegistry(), c.tee);
  expect("TeeResultVerifier.modelRegistry", await teeVerifier.modelRegistry(), c.registry);
  expect(
    "InferenceEscrow.paymentToken",
    await escrow.paymentToken(),
    p.InferenceEscrow?.paymentToken ?? c.paymentToken,
  );
  expect("InferenceEscrow.registry", await escrow.registry(), c.registry);
  expect("InferenceEscrow.staking", await escrow.staking(), c.staking);
  expect("InferenceEscrow.treasury", await escrow.treasury(), get("InferenceEscrow", "treasury"));
  expect("InferenceEscrow.TEE verifier", await escrow.verifierOf(1), c.teeVerifier);
  expect("InferenceEscrow.ZK verifier", await escrow.verifierOf(2), c.zkVerifier);
  expect(
    "ZkResultVerifier.modelRegistry",
    await (await ethers.getContractAt("ZkResultVerifier", c.zkVerifier)).modelRegistry(),
    c.registry,
  );
  const cfg = await escrow.config();
  expect("InferenceEscrow.feeBps", cfg.feeBps, get("InferenceEscrow", "feeBps"));
  expect(
    "InferenceEscrow.collateralPerPaymentBps",
    cfg.collateralPerPaymentBps,
    get("InferenceEscrow", "collateralPerPaymentBps"),
  );
  expect("InferenceEscrow.paused", cfg.paused, false);
  expect("InferenceEscrow.challengeWindow", cfg.challengeWindow, get("InferenceEscrow", "challengeWindow"));
  const disputes = await ethers.getContractAt("DisputeManager", c.disputes);
  expect("InferenceEscrow.disputeManager (bound)", await escrow.disputeManager(), c.disputes);
  expect("TeeRegistry.disputeManager (bound)", await tee.disputeManager(), c.disputes);
  expect("DisputeManager.escrow", await disputes.escrow(), c.escrow);
  const dp = await disputes.params();
  expect("DisputeManager.bond", dp.bond, get("DisputeManager", "bond"));
  expect("DisputeManager.arbitrationPeriod", dp.arbitrationPeriod, get("DisputeManager", "arbitrationPeriod"));
  expect("DisputeManager.challengerRewardBps", dp.challengerRewardBps, get("DisputeManager", "challengerRewardBps"));
  expect("DisputeManager.arbitrator", dp.arbitrator, get("DisputeManager", "arbitrator"));
  expect("DisputeManager.equivocationSlash", dp.equivocationSlash, get("DisputeManager", "equivocationSlash"));
  for (const [name, contract] of [
    ["DisputeManager", disputes],
    ["NodeStaking", staking],
    ["TeeRegistry", tee],
    ["SignedAttestationVerifier", attestation],
    ["InferenceEscrow", escrow],
  ] as const) {
    expect(`${name}.owner is the timelock`, await contract.owner(), c.timelock);
  }
  return problems;
}
