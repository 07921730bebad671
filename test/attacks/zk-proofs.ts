import { expect } from "chai";
import { network } from "hardhat";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { keccak256 } from "ethers";
import { JobStatus } from "../helpers/constants.js";
import { claimOf, jobIdOf, NO_CLAIM } from "../../src/jobs.js";
import type { EncodedProof } from "../../zk/lib/escrow.js";
import { decodeProof, jobTagOf } from "../../src/zk.js";
import { releaseSnarkjs } from "../../zk/lib/snark.js";
import {
  asEscrow,
  deployZkFixture,
  malleate,
  proveJobOnce,
  provedJobs,
  resultContext,
  ZK_INPUT,
  type ZkFixture,
} from "../helpers/zk.js";
import { split } from "../helpers/escrow.js";

const { ethers, networkHelpers } = await network.create();
const fixture = () => deployZkFixture(ethers, networkHelpers);

/**
 * Real Groth16 proofs through the escrow. A proof's public signals include a job tag binding it to the chain, the
 * escrow, the job id, the requester, the submitting node, the version and the input; a job settles once; a version's
 * verifier is pinned by address and code hash at publication. (Verifier swap for the other modes: verifier-swap.ts.)
 */
describe("attacks: ZK proofs", function () {
  this.timeout(120_000);
  let f: ZkFixture;
  let escrow: string;
  /** A proof for the requester's first job (nonce 0) on ZK_INPUT, submitted by `node`, on this chain. */
  let proof: EncodedProof;
  /** A proof for the requester's second job (nonce 1) on ZK_INPUT, submitted by `node`. */
  let secondProof: EncodedProof;
  /** The first job and node, but the tag computed for chain id + 1 (a proof made for another chain). */
  let otherChainProof: EncodedProof;

  before(async function () {
    // The fixture's addresses and the requester's first job id are deterministic: prove once, reuse in every test.
    f = await networkHelpers.loadFixture(fixture);
    const proven = await provedJobs(f);
    ({ escrow, proof, secondProof } = proven);
    otherChainProof = await proveJobOnce(proven.job, f.node.address, ZK_INPUT, f.chainId + 1n, escrow);
  });

  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
  });

  after(async function () {
    await releaseSnarkjs();
  });

  describe("a proof is bound to its job, requester, node, chain and escrow", function () {
    it("ZK proof replay across jobs: the same proof for another job of the same requester fails with InvalidProof", async function () {
      const first = await f.request();
      const second = await f.request(); // same input, nonce 1
      expect(secondProof.output).to.equal(proof.output); // same model, same input: same output
      for (const [job, jobId, p] of [
        [second.job, second.jobId, proof],
        [first.job, first.jobId, secondProof],
      ] as const) {
        await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, p.output, p.proof))
          .to.be.revertedWithCustomError(f.zk, "InvalidProof")
          .withArgs(jobId);
      }
      await f.escrow.connect(f.node).submitResult(first.job, NO_CLAIM, proof.output, proof.proof);
      expect(await f.escrow.jobStatus(first.jobId)).to.equal(JobStatus.Settled);
      expect(await f.escrow.jobStatus(second.jobId)).to.equal(JobStatus.Open);
      await f.escrow.connect(f.node).submitResult(second.job, NO_CLAIM, secondProof.output, secondProof.proof);
      expect(await f.escrow.jobStatus(second.jobId)).to.equal(JobStatus.Settled);
    });

    it("ZK proof replay across requesters: the same proof for another requester's job (same input, same nonce) fails with InvalidProof", async function () {
      const { jobId, job } = await f.request({}, f.other);
      expect(job.nonce).to.equal(0n);
      await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, proof.output, proof.proof))
        .to.be.revertedWithCustomError(f.zk, "InvalidProof")
        .withArgs(jobId);
    });

    it("front-running submit with a stolen ZK proof: another node fails with InvalidProof, whether it claims first or fulfils directly", async function () {
      // The job names node2 (same id as the proven job): node2 claims it and submits the proof made for `node`.
      const named = await f.request({ node: f.node2.address });
      expect(named.jobId).to.equal(jobIdOf({ requester: f.requester.address, nonce: 0n }));
      const claim = claimOf(f.escrow, (await (await f.escrow.connect(f.node2).claim(named.job)).wait())!.logs);
      await expect(f.escrow.connect(f.node2).submitResult(named.job, claim, proof.output, proof.proof))
        .to.be.revertedWithCustomError(f.zk, "InvalidProof")
        .withArgs(named.jobId);

      await networkHelpers.loadFixture(fixture);
      const open = await f.request();
      await expect(f.escrow.connect(f.node2).submitResult(open.job, NO_CLAIM, proof.output, proof.proof))
        .to.be.revertedWithCustomError(f.zk, "InvalidProof")
        .withArgs(open.jobId);
    });

    it("signature replay across chains (ZK): a proof made for another chain is a valid Groth16 proof there but fails here", async function () {
      const { jobId, job } = await f.request();
      const tagHere = jobTagOf(f.chainId, escrow, job, f.node.address);
      expect(otherChainProof.tag).to.equal(jobTagOf(f.chainId + 1n, escrow, job, f.node.address));
      expect(otherChainProof.tag).to.not.equal(tagHere);
      // The verifier accepts it for the other chain's public signals...
      const { pA, pB, pC, pubSignals } = otherChainProof.result.calldata;
      expect(pubSignals[6]).to.equal(otherChainProof.tag);
      expect(await f.groth16.verifyProof(pA, pB, pC, pubSignals)).to.equal(true);
      // ...but the escrow builds this chain's tag.
      await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, otherChainProof.output, otherChainProof.proof))
        .to.be.revertedWithCustomError(f.zk, "InvalidProof")
        .withArgs(jobId);
    });

    it("signature replay across deployments (ZK): the escrow is bound into the tag, the same context verified for any other caller fails", async function () {
      const { job } = await f.request();
      const ctx = resultContext(job, f.node.address, keccak256(proof.output));
      expect(await asEscrow(f).verifyResult.staticCall(ctx, proof.output, proof.proof, { from: escrow })).to.equal(
        f.zk.interface.getFunction("verifyResult").selector,
      );
      await expect(f.zk.connect(f.other).verifyResult(ctx, proof.output, proof.proof))
        .to.be.revertedWithCustomError(f.zk, "InvalidProof")
        .withArgs(ctx.jobId);
    });
  });

  describe("malleability and pinning", function () {
    it("Groth16 proof malleability: a malleated proof (-A, -B, C) verifies, but cannot pay twice or for another node; nothing moves", async function () {
      const { jobId, job } = await f.request();
      const malleated = malleate(proof.proof);
      expect(malleated).to.not.equal(proof.proof);
      // It is a valid proof of the same statement, for the verifier and for the ZK result verifier.
      const m = decodeProof(malleated);
      expect(await f.groth16.verifyProof(m.pA, m.pB, m.pC, proof.result.calldata.pubSignals)).to.equal(true);
      const ctx = resultContext(job, f.node.address, keccak256(proof.output));
      expect(await asEscrow(f).verifyResult.staticCall(ctx, proof.output, malleated, { from: escrow })).to.equal(
        f.zk.interface.getFunction("verifyResult").selector,
      );

      await f.escrow.connect(f.node).submitResult(job, NO_CLAIM, proof.output, proof.proof);
      const snapshot = async () => ({
        node: await f.escrow.balanceOf(f.node.address),
        node2: await f.escrow.balanceOf(f.node2.address),
        requester: await f.escrow.balanceOf(f.requester.address),
        royalties: (await f.escrow.accrualOf(f.modelId)).royalties,
        protocolFees: (await f.escrow.accrualOf(f.modelId)).protocolFees,
        usd: await f.usd.balanceOf(escrow),
        commitment: await f.escrow.jobCommitment(jobId),
      });
      const before = await snapshot();
      expect(before.node).to.equal(split(job).nodeFee);
      for (const [signer, p] of [
        [f.node, malleated],
        [f.node, proof.proof],
        [f.node2, malleated],
      ] as const) {
        await expect(f.escrow.connect(signer).submitResult(job, NO_CLAIM, proof.output, p))
          .to.be.revertedWithCustomError(f.escrow, "InvalidJobStatus")
          .withArgs(jobId, JobStatus.Settled, JobStatus.Open);
      }
      expect(await snapshot()).to.deep.equal(before);
    });

    it("verifier swapped after publication: a version whose verifier was replaced by different code (or emptied) fails with VerifierCodeChanged", async function () {
      const { job } = await f.request();
      const verifier = await f.groth16.getAddress();
      const [, expected] = await f.registry.zkVerifierOf(f.versionId);
      expect(expected).to.equal(keccak256(await ethers.provider.getCode(verifier)));
      const otherCode = await ethers.provider.getCode(await f.usd.getAddress());
      await networkHelpers.setCode(verifier, otherCode);
      await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, proof.output, proof.proof))
        .to.be.revertedWithCustomError(f.zk, "VerifierCodeChanged")
        .withArgs(f.versionId, verifier, expected, keccak256(otherCode));

      await networkHelpers.setCode(verifier, "0x");
      await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, proof.output, proof.proof))
        .to.be.revertedWithCustomError(f.zk, "VerifierCodeChanged")
        .withArgs(f.versionId, verifier, expected, anyValue);
    });
  });
});
