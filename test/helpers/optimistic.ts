import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import { keccak256, toUtf8Bytes, ZeroAddress } from "ethers";
import { Mode, modeBit } from "./constants.js";
import { claimOf, proposalOf, requestedJobs, type Claim, type Job, type Proposal } from "../../src/jobs.js";
import { encodeOutput } from "../../zk/lib/prover.js";
import { MIN_COLLATERAL, PAYMENT, ROYALTY } from "./fixtures.js";
import { deployZkFixture, REFERENCE_IO_SCHEMA_DIGEST, ZK_INPUT, ZK_INPUT_DIGEST, type ZkFixture } from "./zk.js";

export type OptimisticFixture = ZkFixture & {
  challenger: HardhatEthersSigner;
  /** OPTIMISTIC + ZK version of the reference model: disputes are decided by proof. */
  provableVersion: bigint;
  /** OPTIMISTIC-only version: disputes are decided by the arbitrator (governance) or time out. */
  plainVersion: bigint;
  /** Requests an optimistic job (prepaid) of `versionId` on ZK_INPUT. */
  /** An optimistic request of `versionId` on the ZK reference input, or on `input` (digest and URI). */
  requestOptimistic: (
    versionId: bigint,
    from?: HardhatEthersSigner,
    input?: { inputDigest: string; inputURI: string },
  ) => Promise<{ jobId: bigint; job: Job }>;
  /** `node` claims the job, then proposes `output` (two transactions). */
  propose: (job: Job, output: string, node?: HardhatEthersSigner) => Promise<{ claim: Claim; proposal: Proposal }>;
};

/** The reference model's true output on ZK_INPUT (from the circuit's reference, see zk/README.md). */
export async function trueOutput(): Promise<string> {
  const { forward, loadWeightsJson } = await import("../../zk/lib/reference.js");
  const r = forward(loadWeightsJson(), ZK_INPUT);
  return encodeOutput(r.logits, r.label);
}

/** The ZK fixture plus optimistic versions, optimistic-capable nodes and a funded challenger. */
export async function deployOptimisticFixture(
  ethers: HardhatEthers,
  helpers: NetworkHelpers,
): Promise<OptimisticFixture> {
  const f = await deployZkFixture(ethers, helpers);
  const signers = await ethers.getSigners();
  const challenger = signers[8];
  const base = {
    weightsDigest: f.weightsDigest,
    ioSchemaDigest: REFERENCE_IO_SCHEMA_DIGEST,
    artifactURI: "ipfs://mlp.onnx",
    royalty: ROYALTY,
    minCollateral: MIN_COLLATERAL,
    teeMeasurements: [],
  };
  await f.registry.connect(f.modelOwner).publishVersion(f.modelId, {
    ...base,
    modes: modeBit(Mode.OPTIMISTIC) | modeBit(Mode.ZK),
    zkVerifier: await f.groth16.getAddress(),
  });
  await f.registry.connect(f.modelOwner).publishVersion(f.modelId, {
    ...base,
    weightsDigest: keccak256(toUtf8Bytes("opaque model")),
    modes: modeBit(Mode.OPTIMISTIC),
    zkVerifier: ZeroAddress,
  });
  const all = modeBit(Mode.OPTIMISTIC) | modeBit(Mode.ZK) | modeBit(Mode.TEE);
  for (const n of [f.node, f.node2]) await f.staking.connect(n).updateNode("https://node.example", all);
  await f.usd.mint(challenger.address, 1_000_000_000n);
  await f.usd.connect(challenger).approve(await f.disputes.getAddress(), 1_000_000_000n);

  const requestOptimistic = async (
    versionId: bigint,
    from: HardhatEthersSigner = f.requester,
    input?: { inputDigest: string; inputURI: string },
  ) => {
    const now = BigInt(await helpers.time.latest());
    const tx = await f.escrow.connect(from).requestInference({
      versionId,
      mode: Mode.OPTIMISTIC,
      node: ZeroAddress,
      payment: PAYMENT,
      deliveryWindow: 600n,
      expiresAt: now + 3600n,
      callbackGasLimit: 0n,
      inputDigest: input?.inputDigest ?? ZK_INPUT_DIGEST,
      inputURI: input?.inputURI ?? `data:application/json,${JSON.stringify(ZK_INPUT)}`,
    });
    const [r] = requestedJobs(f.escrow, (await tx.wait())!.logs);
    return { jobId: r.jobId, job: r.job };
  };
  const propose = async (job: Job, output: string, node: HardhatEthersSigner = f.node) => {
    // Claim first, then propose: the escrow refuses a proposal without the proposer's claim.
    const claimed = await (await f.escrow.connect(node).claim(job)).wait();
    const claim = claimOf(f.escrow, claimed!.logs);
    const receipt = await (await f.escrow.connect(node).proposeResult(job, claim, output)).wait();
    const { outputHash, challengeEnds } = proposalOf(f.escrow, receipt!.logs);
    return { claim, proposal: { outputHash, challengeEnds } };
  };
  return { ...f, challenger, provableVersion: 2n, plainVersion: 3n, requestOptimistic, propose };
}

/** A proposed optimistic job: the request, its claim and its proposal. */
export type Proposed = { jobId: bigint; job: Job; claim: Claim; proposal: Proposal };

/** A job of `versionId` claimed and proposed by `f.node` with `output`. */
export async function proposed(f: OptimisticFixture, versionId: bigint, output: string): Promise<Proposed> {
  const { jobId, job } = await f.requestOptimistic(versionId);
  const { claim, proposal } = await f.propose(job, output);
  return { jobId, job, claim, proposal };
}
