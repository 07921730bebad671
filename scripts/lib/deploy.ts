import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import type { Signer } from "ethers";
import type {
  DisputeManager,
  InferenceEscrow,
  MockUSD,
  ModelRegistry,
  NodeStaking,
  SignedAttestationVerifier,
  TeeRegistry,
  TeeResultVerifier,
  VeritasToken,
  ZkResultVerifier,
} from "../../typechain-types/index.js";

export type SuiteParams = {
  /** Governance owner of every contract (a VeritasTimelock in production, any account in tests). */
  owner: string;
  /** Receives the protocol fees and the treasury's share of slashes. */
  treasury: string;
  /** Receives the whole VeritasToken supply. */
  tokenHolder: string;
  tokenSupply: bigint;
  minStake: bigint;
  unbondingPeriod: bigint;
  feeBps: number;
  collateralPerPaymentBps: number;
  /** Challenge window of optimistic jobs, seconds. */
  challengeWindow: number;
  /** An existing payment token; a MockUSD is deployed when absent (local chains only). */
  paymentToken?: string;
  /**
   * Overrides the escrow's ZK result verifier (ZeroAddress: no ZK mode). Absent: the suite's ZkResultVerifier.
   */
  zkVerifier?: string;
  /** Dispute parameters (IDisputeManager.Params); the arbitrator defaults to `owner`. */
  dispute?: Partial<DisputeParams>;
};

export type DisputeParams = {
  bond: bigint;
  arbitrationPeriod: bigint;
  challengerRewardBps: number;
  arbitrator: string;
  equivocationSlash: bigint;
};

export type Suite = {
  token: VeritasToken;
  usd: MockUSD;
  registry: ModelRegistry;
  staking: NodeStaking;
  attestation: SignedAttestationVerifier;
  tee: TeeRegistry;
  teeVerifier: TeeResultVerifier;
  /** The ZkResultVerifier over `registry`; the escrow's ZK verifier unless `SuiteParams.zkVerifier` overrides it. */
  zkVerifier: ZkResultVerifier;
  escrow: InferenceEscrow;
  disputes: DisputeManager;
};

export const LOCAL_PARAMS = (owner: string, treasury: string, tokenHolder: string): SuiteParams => ({
  owner,
  treasury,
  tokenHolder,
  tokenSupply: 1_000_000_000n * 10n ** 18n,
  minStake: 1_000n * 10n ** 18n,
  unbondingPeriod: 14n * 24n * 3600n,
  feeBps: 250,
  // 1 USD (6 decimals) of payment asks 2 VRT (18 decimals) of collateral: 2e18 / 1e6 = 2e12 = 2e16 bps.
  // The rate is bounded to 10x in bps, so with tokens of different decimals the version's minCollateral dominates.
  collateralPerPaymentBps: 20_000,
  challengeWindow: 3600,
});

/** Deploys and wires the suite (the same order as the Ignition module in deploy/modules). */
export async function deploySuite(ethers: HardhatEthers, deployer: Signer, p: SuiteParams): Promise<Suite> {
  const deploy = async <T>(name: string, args: unknown[]): Promise<T> => {
    const c = await ethers.deployContract(name, args, deployer);
    await c.waitForDeployment();
    return c as unknown as T;
  };
  const token = await deploy<VeritasToken>("VeritasToken", [p.tokenHolder, p.tokenSupply]);
  const usd = p.paymentToken
    ? ((await ethers.getContractAt("MockUSD", p.paymentToken, deployer)) as MockUSD)
    : await deploy<MockUSD>("MockUSD", []);
  const registry = await deploy<ModelRegistry>("ModelRegistry", []);
  const staking = await deploy<NodeStaking>("NodeStaking", [
    await token.getAddress(),
    p.minStake,
    p.unbondingPeriod,
    p.treasury,
    p.owner,
  ]);
  const attestation = await deploy<SignedAttestationVerifier>("SignedAttestationVerifier", [p.owner]);
  const tee = await deploy<TeeRegistry>("TeeRegistry", [
    await staking.getAddress(),
    await attestation.getAddress(),
    p.owner,
  ]);
  const teeVerifier = await deploy<TeeResultVerifier>("TeeResultVerifier", [
    await tee.getAddress(),
    await registry.getAddress(),
  ]);
  const zkVerifier = await deploy<ZkResultVerifier>("ZkResultVerifier", [await registry.getAddress()]);
  const escrow = await deploy<InferenceEscrow>("InferenceEscrow", [
    await usd.getAddress(),
    await registry.getAddress(),
    await staking.getAddress(),
    p.treasury,
    await teeVerifier.getAddress(),
    p.zkVerifier ?? (await zkVerifier.getAddress()),
    {
      feeBps: p.feeBps,
      collateralPerPaymentBps: p.collateralPerPaymentBps,
      paused: false,
      challengeWindow: p.challengeWindow,
    },
    p.owner,
  ]);
  await (await staking.connect(deployer).bindEscrow(await escrow.getAddress())).wait();
  const disputeParams: DisputeParams = {
    bond: 1_000_000n,
    arbitrationPeriod: 24n * 3600n,
    challengerRewardBps: 5_000,
    arbitrator: p.owner,
    equivocationSlash: 1_000n * 10n ** 18n,
    ...p.dispute,
  };
  const disputes = await deploy<DisputeManager>("DisputeManager", [
    await escrow.getAddress(),
    await tee.getAddress(),
    await teeVerifier.getAddress(),
    disputeParams,
    p.owner,
  ]);
  await (await escrow.connect(deployer).bindDisputeManager(await disputes.getAddress())).wait();
  await (await tee.connect(deployer).bindDisputeManager(await disputes.getAddress())).wait();
  return { token, usd, registry, staking, attestation, tee, teeVerifier, zkVerifier, escrow, disputes };
}
