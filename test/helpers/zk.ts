import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ioSchemaDigest } from "../../src/models/bundle.js";
import { RECIPES_DIR } from "../../src/models/materialize.js";
import { Mode, modeBit } from "./constants.js";
import { deploySuite, LOCAL_PARAMS } from "../../deploy/suite.js";
import { jobIdOf, type Job } from "../../src/jobs.js";
import { inputCommitment, toBytes32, weightsCommitmentFromOnnx } from "../../zk/lib/commitment.js";
import { proveJob, type EncodedProof } from "../../zk/lib/escrow.js";
import { decodeProof, encodeProof } from "../../src/zk.js";
import { VERIFIER_CONTRACT_NAME } from "../../zk/lib/verifier-export.js";
import type { MlpGroth16Verifier, ZkResultVerifier } from "../../typechain-types/index.js";
import {
  MEASUREMENT,
  MIN_COLLATERAL,
  NODE_STAKE,
  requestHelper,
  ROYALTY,
  stakeNode,
  USD,
  type BaseFixture,
  actorsOf,
} from "./fixtures.js";

/** The input of the fixture's default job: one logit negative, a tie for the max between logits 1 and 2. */
export const ZK_INPUT = [5, 119, -128, 4, -64, -7, -69, 15];
/** bytes32 input commitment of ZK_INPUT (the job's inputDigest). */
export const ZK_INPUT_DIGEST = toBytes32(inputCommitment(ZK_INPUT));
/** The I/O schema digest of the reference model's bundle (models/mlp-8x8x3/manifest.json), by the bundle rule. */
export const REFERENCE_IO_SCHEMA_DIGEST = ioSchemaDigest(
  JSON.parse(readFileSync(path.join(RECIPES_DIR, "mlp-8x8x3", "manifest.json"), "utf8")),
);

/** `versionId` is a ZK + TEE version of the reference model whose verifier is `groth16`; `request` asks for ZK jobs on
 * ZK_INPUT unless overridden. */
export type ZkFixture = BaseFixture & {
  /** The escrow's ZK result verifier (deploySuite's `zkVerifier`). */
  zk: ZkResultVerifier;
  /** The reference model's snarkjs Groth16 verifier. */
  groth16: MlpGroth16Verifier;
  /** toBytes32(weightsCommitmentFromOnnx()): the version's weights digest. */
  weightsDigest: string;
};

/**
 * The suite (governance as owner) with the reference model published as a ZK + TEE version whose verifier is the
 * deployed MlpGroth16Verifier, two nodes with ZK capability and stake, and two funded requesters.
 */
export async function deployZkFixture(ethers: HardhatEthers, helpers: NetworkHelpers): Promise<ZkFixture> {
  const actors = await actorsOf(ethers);
  const { deployer, governance, treasury, modelOwner, node, node2, requester, other } = actors;
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const suite = await deploySuite(
    ethers,
    deployer,
    LOCAL_PARAMS(governance.address, treasury.address, deployer.address),
  );
  const zk = suite.zkVerifier;
  const groth16 = (await ethers.deployContract(VERIFIER_CONTRACT_NAME, [], deployer)) as unknown as MlpGroth16Verifier;

  const weightsDigest = toBytes32(weightsCommitmentFromOnnx());
  await suite.registry.connect(modelOwner).createModel("ipfs://veritas-mlp-8x8x3");
  const modelId = 1n;
  await suite.registry.connect(modelOwner).publishVersion(modelId, {
    weightsDigest,
    ioSchemaDigest: REFERENCE_IO_SCHEMA_DIGEST,
    artifactURI: "ipfs://mlp.onnx",
    royalty: ROYALTY,
    minCollateral: MIN_COLLATERAL,
    modes: modeBit(Mode.ZK) | modeBit(Mode.TEE),
    zkVerifier: await groth16.getAddress(),
    teeMeasurements: [MEASUREMENT],
  });
  const versionId = 1n;

  const caps = modeBit(Mode.ZK) | modeBit(Mode.TEE);
  await stakeNode(suite, deployer, node, NODE_STAKE, caps);
  await stakeNode(suite, deployer, node2, NODE_STAKE, caps);

  const escrowAddress = await suite.escrow.getAddress();
  for (const r of [requester, other]) {
    await suite.usd.mint(r.address, USD(1_000));
    await suite.usd.connect(r).approve(escrowAddress, USD(1_000));
    await suite.escrow.connect(r).deposit(r.address, USD(100));
  }

  const request = requestHelper(suite, helpers, requester, {
    versionId,
    mode: Mode.ZK,
    inputDigest: ZK_INPUT_DIGEST,
    inputURI: `data:application/json,${JSON.stringify(ZK_INPUT)}`,
  });

  return {
    ...suite,
    zk,
    groth16,
    weightsDigest,
    ethers,
    helpers,
    chainId,
    ...actors,
    modelId,
    versionId,
    request,
  };
}

/** The IResultVerifier context the escrow builds for `job` submitted by `node` with `output` (outputHash filled in). */
export function resultContext(job: Job, node: string, outputHash: string) {
  return {
    jobId: jobIdOf(job),
    requester: job.requester,
    node,
    versionId: job.versionId,
    inputDigest: job.inputDigest,
    outputHash,
  };
}

/** BN254 base field order q (curve coordinates). */
export const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

/** (A, B, C) -> (-A, -B, C): e(-A, -B) = e(A, B), so the result is another valid proof of the same statement. */
export function malleate(proof: string): string {
  const { pA, pB, pC } = decodeProof(proof);
  const neg = (v: bigint) => (Q - v) % Q;
  return encodeProof({
    pA: [pA[0], neg(pA[1])],
    pB: [pB[0], [neg(pB[1][0]), neg(pB[1][1])]],
    pC,
  });
}

/** The ZK result verifier read through the provider, so calls may name any `from` (the escrow). */
export const asEscrow = (f: ZkFixture) => f.zk.connect(f.ethers.provider);

const proofs = new Map<string, Promise<EncodedProof>>();

/**
 * `proveJob`, memoised: a proof depends only on its arguments, and the fixtures deploy at the same addresses in every
 * test file, so files that prove the same job (ZkResultVerifier.ts, attacks/zk-proofs.ts) prove it once.
 */
export function proveJobOnce(
  job: Job,
  node: string,
  input: number[],
  chainId: bigint,
  escrow: string,
): Promise<EncodedProof> {
  const key = JSON.stringify([
    jobIdOf(job).toString(),
    job.versionId.toString(),
    job.inputDigest,
    node,
    input,
    chainId.toString(),
    escrow,
  ]);
  let p = proofs.get(key);
  if (!p) {
    p = proveJob(job, node, input, chainId, escrow);
    proofs.set(key, p);
  }
  return p;
}

/**
 * The requester's first two jobs (nonces 0 and 1) on ZK_INPUT, requested in `f` and proven for `f.node` on this chain
 * (memoised: the fixtures' addresses and job ids are deterministic, so the same proofs serve every test).
 */
export async function provedJobs(f: ZkFixture): Promise<{
  escrow: string;
  job: Job;
  proof: EncodedProof;
  secondProof: EncodedProof;
}> {
  const escrow = await f.escrow.getAddress();
  const { job } = await f.request();
  const { job: second } = await f.request();
  return {
    escrow,
    job,
    proof: await proveJobOnce(job, f.node.address, ZK_INPUT, f.chainId, escrow),
    secondProof: await proveJobOnce(second, f.node.address, ZK_INPUT, f.chainId, escrow),
  };
}
