/**
 * A deployed suite (a deployment record on a JSON-RPC node) made ready to serve TEE jobs, as production would do it:
 * governance approves an enclave image and an attestation service through the timelock (the delay skipped on the
 * node), the model owner publishes a version, the operator stakes, registers and registers its enclave key with a
 * signed attestation. Accounts are the node's: 0 deployer (timelock proposer), 3 model owner, 4 operator, 5 requester.
 */
import { id, Wallet, ZeroAddress, ZeroHash, type JsonRpcProvider, type JsonRpcSigner } from "ethers";
import type { DeploymentRecord } from "../../deploy/deployment.js";
import { attestationDomain, signAttestation, SimulatedEnclave } from "../../src/tee.js";
import {
  ModelRegistry__factory,
  NodeStaking__factory,
  SignedAttestationVerifier__factory,
  TeeRegistry__factory,
  VeritasTimelock__factory,
  VeritasToken__factory,
} from "../../typechain-types/index.js";
import { Mode, modeBit } from "./constants.js";

export type Onboarded = {
  deployer: JsonRpcSigner;
  modelOwner: JsonRpcSigner;
  operator: JsonRpcSigner;
  requester: JsonRpcSigner;
  measurement: string;
  enclave: SimulatedEnclave;
  /** The enclave's key (what the node's VERITAS_ENCLAVE_KEY holds). */
  enclaveKey: Wallet;
};

export async function onboardTeeNode(
  p: JsonRpcProvider,
  record: DeploymentRecord,
  o: {
    /** Names the measurement, the attestation service's key and the enclave's key. */
    tag: string;
    weightsDigest: string;
    ioSchemaDigest?: string;
    /** Modes of the version and the node's capabilities (default TEE only). */
    modes?: number;
    zkVerifier?: string;
  },
): Promise<Onboarded> {
  const [deployer, modelOwner, operator, requester] = await Promise.all([0, 3, 4, 5].map((i) => p.getSigner(i)));
  const c = record.contracts;
  const chainId = (await p.getNetwork()).chainId;
  const measurement = id(`${o.tag}-enclave`);
  const service = new Wallet(id(`${o.tag}-attestation-service`));
  const tee = TeeRegistry__factory.connect(c.tee, deployer);
  const attestation = SignedAttestationVerifier__factory.connect(c.attestation, deployer);
  const timelock = VeritasTimelock__factory.connect(c.timelock, deployer);
  const targets = [c.tee, c.attestation];
  const payloads = [
    tee.interface.encodeFunctionData("approveMeasurement", [measurement, o.tag]),
    attestation.interface.encodeFunctionData("setAttestationSigner", [service.address, true]),
  ];
  const salt = id(o.tag);
  const delay = await timelock.getMinDelay();
  await (await timelock.scheduleBatch(targets, [0n, 0n], payloads, ZeroHash, salt, delay)).wait();
  await p.send("evm_increaseTime", [Number(delay)]);
  await p.send("evm_mine", []);
  await (await timelock.executeBatch(targets, [0n, 0n], payloads, ZeroHash, salt)).wait();

  const modes = o.modes ?? modeBit(Mode.TEE);
  const registry = ModelRegistry__factory.connect(c.registry, modelOwner);
  await (await registry.createModel("ipfs://model")).wait();
  await (
    await registry.publishVersion(1n, {
      weightsDigest: o.weightsDigest,
      ioSchemaDigest: o.ioSchemaDigest ?? ZeroHash,
      artifactURI: "ipfs://bundle",
      royalty: 50_000n,
      minCollateral: 10n ** 20n,
      modes,
      zkVerifier: o.zkVerifier ?? ZeroAddress,
      teeMeasurements: [measurement],
    })
  ).wait();

  const operatorAddress = await operator.getAddress();
  const stake = 10n ** 22n;
  await (await VeritasToken__factory.connect(c.token, deployer).transfer(operatorAddress, stake)).wait();
  await (await VeritasToken__factory.connect(c.token, operator).approve(c.staking, stake)).wait();
  const staking = NodeStaking__factory.connect(c.staking, operator);
  await (await staking.registerNode("http://127.0.0.1", modes)).wait();
  await (await staking.stake(operatorAddress, stake)).wait();

  const enclaveKey = new Wallet(id(`${o.tag}-enclave-key`));
  const enclave = new SimulatedEnclave(measurement, enclaveKey);
  const keyExpiry = BigInt((await p.getBlock("latest"))!.timestamp) + 86_400n;
  const att = await signAttestation(
    service,
    attestationDomain(chainId, c.attestation),
    c.tee,
    operatorAddress,
    enclave.address,
    measurement,
    keyExpiry,
  );
  await (
    await TeeRegistry__factory.connect(c.tee, operator).registerEnclaveKey(enclave.address, measurement, keyExpiry, att)
  ).wait();
  return { deployer, modelOwner, operator, requester, measurement, enclave, enclaveKey };
}
