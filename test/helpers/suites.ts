import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { id, keccak256, toUtf8Bytes } from "ethers";
import { Mode, modeBit } from "./constants.js";
import { deploySuite, LOCAL_PARAMS, type Suite } from "../../deploy/suite.js";
import type { MockResultVerifier } from "../../typechain-types/index.js";
import { MEASUREMENT, MIN_COLLATERAL, NODE_STAKE, ROYALTY, stakeNode } from "./fixtures.js";

/** A suite on another payment token, with a stand-in ZK verifier (accepts everything unless told to reject). */
export type MockZkSuite = Suite & {
  zk: MockResultVerifier;
  deployer: HardhatEthersSigner;
  governance: HardhatEthersSigner;
  treasury: HardhatEthersSigner;
  modelOwner: HardhatEthersSigner;
  node: HardhatEthersSigner;
  requester: HardhatEthersSigner;
  other: HardhatEthersSigner;
  modelId: bigint;
  /** A version that supports TEE and ZK. */
  versionId: bigint;
};

/**
 * Deploys the suite with `paymentToken` (an already deployed token, or a fresh MockUSD when absent) and a
 * MockResultVerifier as the ZK verifier, publishes one TEE+ZK version, and registers and stakes `node` for TEE and ZK
 * (a direct fulfil needs an active node with the capability; no enclave set-up is needed for ZK results).
 */
export async function deployMockZkSuite(ethers: HardhatEthers, paymentToken?: string): Promise<MockZkSuite> {
  const [deployer, governance, treasury, modelOwner, node, , requester, other] = await ethers.getSigners();
  const zk = (await ethers.deployContract("MockResultVerifier", [], deployer)) as unknown as MockResultVerifier;
  const suite = await deploySuite(ethers, deployer, {
    ...LOCAL_PARAMS(governance.address, treasury.address, deployer.address),
    paymentToken,
    zkVerifier: await zk.getAddress(),
  });
  await suite.tee.connect(governance).approveMeasurement(MEASUREMENT, "veritas-enclave-image-v1");
  await suite.registry.connect(modelOwner).createModel("ipfs://model-card");
  const modelId = await suite.registry.modelCount();
  await suite.registry.connect(modelOwner).publishVersion(modelId, {
    weightsDigest: keccak256(toUtf8Bytes("weights")),
    ioSchemaDigest: id("schema"),
    artifactURI: "ipfs://mlp.onnx",
    royalty: ROYALTY,
    minCollateral: MIN_COLLATERAL,
    modes: modeBit(Mode.TEE) | modeBit(Mode.ZK),
    zkVerifier: await zk.getAddress(),
    teeMeasurements: [MEASUREMENT],
  });
  const versionId = await suite.registry.versionCount();
  await stakeNode(suite, deployer, node, NODE_STAKE, modeBit(Mode.TEE) | modeBit(Mode.ZK));
  return { ...suite, zk, deployer, governance, treasury, modelOwner, node, requester, other, modelId, versionId };
}
