import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import { id, keccak256, toUtf8Bytes, Wallet, type TypedDataDomain } from "ethers";
import { Mode, modeBit } from "./constants.js";
import { deploySuite, LOCAL_PARAMS, type Suite } from "../../deploy/suite.js";
import type { RequestStruct } from "../../src/client-core.js";
import { requestedJobs, type Job } from "../../src/jobs.js";
import { attestationDomain, signAttestation, SimulatedEnclave, teeResultDomain } from "../../src/tee.js";

export const USD = (n: number | string): bigint => BigInt(Math.round(Number(n) * 1e6));
export const VRT = (n: number | bigint): bigint => BigInt(n) * 10n ** 18n;

export const MEASUREMENT = id("veritas-enclave-image-v1");
export const ROYALTY = USD("0.05");
export const MIN_COLLATERAL = VRT(100);
export const NODE_STAKE = VRT(10_000);
export const PAYMENT = USD(1);

/** What every suite fixture has: the deployed suite, the chain, the actors, one model version and `request`. */
export type BaseFixture = Suite & {
  ethers: HardhatEthers;
  helpers: NetworkHelpers;
  chainId: bigint;
  deployer: HardhatEthersSigner;
  governance: HardhatEthersSigner;
  treasury: HardhatEthersSigner;
  modelOwner: HardhatEthersSigner;
  node: HardhatEthersSigner;
  node2: HardhatEthersSigner;
  requester: HardhatEthersSigner;
  other: HardhatEthersSigner;
  modelId: bigint;
  versionId: bigint;
  /** Requests a job (prepaid) of the fixture's version and mode and returns it as the escrow recorded it. */
  request: (overrides?: Partial<RequestOverrides>, from?: HardhatEthersSigner) => Promise<{ jobId: bigint; job: Job }>;
};

export type TeeFixture = BaseFixture & {
  attestationService: Wallet;
  enclave: SimulatedEnclave;
  enclave2: SimulatedEnclave;
  teeDomain: TypedDataDomain;
};

/** A request's parameters (the escrow's `RequestParams`, as the clients build them). */
export type RequestOverrides = RequestStruct;

/**
 * A `request(overrides?, from?)` helper: a prepaid request with `defaults` (and a 600 s delivery window, a 1 h final
 * deadline, no callback, the fixture's PAYMENT) unless overridden, returning the job as the escrow recorded it.
 */
export function requestHelper(
  suite: Pick<Suite, "escrow">,
  helpers: NetworkHelpers,
  defaultFrom: HardhatEthersSigner,
  defaults: Pick<RequestOverrides, "versionId" | "mode" | "inputDigest" | "inputURI">,
) {
  return async (o: Partial<RequestOverrides> = {}, from: HardhatEthersSigner = defaultFrom) => {
    const now = BigInt(await helpers.time.latest());
    const tx = await suite.escrow.connect(from).requestInference({
      versionId: o.versionId ?? defaults.versionId,
      mode: o.mode ?? defaults.mode,
      node: o.node ?? "0x0000000000000000000000000000000000000000",
      payment: o.payment ?? PAYMENT,
      deliveryWindow: o.deliveryWindow ?? 600n,
      expiresAt: o.expiresAt ?? now + 3600n,
      callbackGasLimit: o.callbackGasLimit ?? 0n,
      inputDigest: o.inputDigest ?? defaults.inputDigest,
      inputURI: o.inputURI ?? defaults.inputURI,
    });
    const [r] = requestedJobs(suite.escrow, (await tx.wait())!.logs);
    return { jobId: r.jobId, job: r.job };
  };
}

/** Registers `node` with `capabilities`, gives it VRT and stakes `amount`. */
export async function stakeNode(
  s: Suite,
  holder: HardhatEthersSigner,
  node: HardhatEthersSigner,
  amount: bigint,
  capabilities = modeBit(Mode.TEE),
): Promise<void> {
  await s.staking
    .connect(node)
    .registerNode(`https://${node.address.slice(2, 8).toLowerCase()}.nodes.example`, capabilities);
  await s.token.connect(holder).transfer(node.address, amount);
  await s.token.connect(node).approve(await s.staking.getAddress(), amount);
  await s.staking.connect(node).stake(node.address, amount);
}

/** Registers an enclave key for `node`, attested by `service`. */
export async function registerEnclave(
  f: Pick<TeeFixture, "tee" | "attestation" | "chainId" | "helpers">,
  service: Wallet,
  node: HardhatEthersSigner,
  enclave: SimulatedEnclave,
  lifetime = 30n * 24n * 3600n,
): Promise<bigint> {
  const expiresAt = BigInt(await f.helpers.time.latest()) + lifetime;
  const sig = await signAttestation(
    service,
    attestationDomain(f.chainId, await f.attestation.getAddress()),
    await f.tee.getAddress(),
    node.address,
    enclave.address,
    enclave.measurement,
    expiresAt,
  );
  await f.tee.connect(node).registerEnclaveKey(enclave.address, enclave.measurement, expiresAt, sig);
  return expiresAt;
}

/** The fixtures' actors: the chain's first eight accounts, by role. */
export async function actorsOf(ethers: HardhatEthers) {
  const [deployer, governance, treasury, modelOwner, node, node2, requester, other] = await ethers.getSigners();
  return { deployer, governance, treasury, modelOwner, node, node2, requester, other };
}

/** The whole suite with one TEE model version, two staked nodes with enclave keys and a funded requester. */
export async function deployTeeFixture(ethers: HardhatEthers, helpers: NetworkHelpers): Promise<TeeFixture> {
  const actors = await actorsOf(ethers);
  const { deployer, governance, treasury, modelOwner, node, node2, requester, other } = actors;
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const suite = await deploySuite(
    ethers,
    deployer,
    LOCAL_PARAMS(governance.address, treasury.address, deployer.address),
  );
  const attestationService = new Wallet(id("veritas-test-attestation-service"), ethers.provider);
  await suite.attestation.connect(governance).setAttestationSigner(attestationService.address, true);
  await suite.tee.connect(governance).approveMeasurement(MEASUREMENT, "veritas-enclave-image-v1");

  await suite.registry.connect(modelOwner).createModel("ipfs://model-card");
  const modelId = 1n;
  await suite.registry.connect(modelOwner).publishVersion(modelId, {
    weightsDigest: keccak256(toUtf8Bytes("weights")),
    ioSchemaDigest: keccak256(toUtf8Bytes("int8[8] -> int256[4]")),
    artifactURI: "ipfs://mlp.onnx",
    royalty: ROYALTY,
    minCollateral: MIN_COLLATERAL,
    modes: modeBit(Mode.TEE),
    zkVerifier: "0x0000000000000000000000000000000000000000",
    teeMeasurements: [MEASUREMENT],
  });
  const versionId = 1n;

  await stakeNode(suite, deployer, node, NODE_STAKE);
  await stakeNode(suite, deployer, node2, NODE_STAKE);
  const f = { ...suite, chainId, helpers };
  const enclave = new SimulatedEnclave(MEASUREMENT, new Wallet(id("enclave-1")));
  const enclave2 = new SimulatedEnclave(MEASUREMENT, new Wallet(id("enclave-2")));
  await registerEnclave(f, attestationService, node, enclave);
  await registerEnclave(f, attestationService, node2, enclave2);

  const escrowAddress = await suite.escrow.getAddress();
  for (const r of [requester, other]) {
    await suite.usd.mint(r.address, USD(1_000));
    await suite.usd.connect(r).approve(escrowAddress, USD(1_000));
  }
  await suite.escrow.connect(requester).deposit(requester.address, USD(100));

  const teeDomain = teeResultDomain(chainId, await suite.teeVerifier.getAddress());

  const request = requestHelper(suite, helpers, requester, {
    versionId,
    mode: Mode.TEE,
    inputDigest: keccak256(toUtf8Bytes("input-1")),
    inputURI: "data:application/json,[1,2,3,4,5,6,7,8]",
  });

  return {
    ...suite,
    ethers,
    helpers,
    chainId,
    ...actors,
    attestationService,
    enclave,
    enclave2,
    teeDomain,
    modelId,
    versionId,
    request,
  };
}
