import { expect } from "chai";
import { network } from "hardhat";
import { AbiCoder, id, keccak256, ZeroAddress, ZeroHash, type TransactionReceipt } from "ethers";
import { BPS, JobStatus, Mode, modeBit } from "./helpers/constants.js";
import { deploySuite, LOCAL_PARAMS } from "../deploy/suite.js";
import { claimOf, jobIdOf, NO_CLAIM, requestedJobs, type Job } from "../src/jobs.js";
import { inputCommitment, toBytes32, weightsCommitmentFromOnnx } from "../zk/lib/commitment.js";
import { FIELD_R } from "../src/zk.js";
import type { EncodedProof } from "../zk/lib/escrow.js";
import { decodeProof, encodeProof, JOB_TAG_DOMAIN, jobTagOf } from "../src/zk.js";
import { readOnnxWeights } from "../zk/lib/onnx.js";
import { decodeOutput, encodeOutput, publicSignalsFor } from "../zk/lib/prover.js";
import { forward } from "../zk/lib/reference.js";
import { releaseSnarkjs } from "../zk/lib/snark.js";
import { MEASUREMENT, PAYMENT, ROYALTY } from "./helpers/fixtures.js";
import {
  asEscrow,
  deployZkFixture,
  provedJobs,
  Q,
  resultContext,
  ZK_INPUT,
  ZK_INPUT_DIGEST,
  type ZkFixture,
} from "./helpers/zk.js";
import { split } from "./helpers/escrow.js";
import { calldataGas } from "./helpers/gas.js";

const { ethers, networkHelpers } = await network.create();
const fixture = () => deployZkFixture(ethers, networkHelpers);
const coder = AbiCoder.defaultAbiCoder();

/** (r - 1) / 2: the largest output magnitude the verifier accepts. */
const MAX_MAGNITUDE = (FIELD_R - 1n) / 2n;

const encodeValues = (values: bigint[]) => coder.encode(["int256[]"], [values]);

/** Gas of a transaction's execution: gasUsed minus the intrinsic 21,000 and calldata (4 / 16 gas per zero / other byte). */
function executionGas(receipt: TransactionReceipt, data: string): bigint {
  return receipt.gasUsed - 21_000n - calldataGas(data);
}

describe("ZkResultVerifier (real Groth16 proofs through the escrow)", function () {
  this.timeout(120_000);
  let f: ZkFixture;
  let escrow: string;
  /** A proof for the requester's first job (nonce 0) on ZK_INPUT, submitted by `node`, on this chain. */
  let proof: EncodedProof;
  /** A proof for the requester's second job (nonce 1) on ZK_INPUT, submitted by `node`. */
  let secondProof: EncodedProof;

  before(async function () {
    // The fixture's addresses and the requester's first job id are deterministic: prove once, reuse in every test.
    f = await networkHelpers.loadFixture(fixture);
    ({ escrow, proof, secondProof } = await provedJobs(f));
  });

  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
  });

  after(async function () {
    await releaseSnarkjs();
  });

  describe("settlement", function () {
    it("the proven output is the reference model's, with a negative logit (encoded r + v on chain)", function () {
      const expected = forward(readOnnxWeights(), ZK_INPUT);
      const { logits, label } = decodeOutput(proof.output);
      expect(logits.map(Number)).to.deep.equal(expected.logits);
      expect(Number(label)).to.equal(expected.label);
      expect(expected.logits.some((l) => l < 0)).to.equal(true);
      expect(proof.proof.length).to.equal(2 + 2 * 256);
    });

    it("a valid proof settles and pays on the claimed path (fee split to the wei, JobSettled with the output)", async function () {
      const { jobId, job } = await f.request();
      const claim = claimOf(f.escrow, (await (await f.escrow.connect(f.node).claim(job)).wait())!.logs);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(job.collateral);
      const { protocolFee: fee, royalty, nodeFee } = split(job);
      expect(fee).to.equal((PAYMENT * 250n) / BPS);
      expect(royalty).to.equal(ROYALTY);
      const escrowUsd = await f.usd.balanceOf(escrow);

      await expect(f.escrow.connect(f.node).submitResult(job, claim, proof.output, proof.proof))
        .to.emit(f.escrow, "JobSettled")
        .withArgs(jobId, f.node.address, keccak256(proof.output), proof.output, nodeFee, royalty, fee);

      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(nodeFee);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
      const accrual = await f.escrow.accrualOf(f.modelId);
      expect(accrual.royalties).to.equal(royalty);
      expect(accrual.protocolFees).to.equal(fee);
      expect(nodeFee + royalty + fee).to.equal(job.payment);
      expect(await f.usd.balanceOf(escrow)).to.equal(escrowUsd); // pull balances: no token moved
    });

    it("a valid proof settles and pays on the direct fulfil path (no claim, no collateral)", async function () {
      const { jobId, job } = await f.request();
      const requesterBalance = await f.escrow.balanceOf(f.requester.address);
      const { protocolFee: fee, royalty, nodeFee } = split(job);
      await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, proof.output, proof.proof))
        .to.emit(f.escrow, "JobSettled")
        .withArgs(jobId, f.node.address, keccak256(proof.output), proof.output, nodeFee, royalty, fee);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
      expect(await f.escrow.balanceOf(f.node.address)).to.equal(nodeFee);
      expect(await f.escrow.lockedCollateral(f.node.address)).to.equal(0n);
      expect(await f.escrow.balanceOf(f.requester.address)).to.equal(requesterBalance);
      const accrual = await f.escrow.accrualOf(f.modelId);
      expect([accrual.royalties, accrual.protocolFees]).to.deep.equal([royalty, fee]);
    });

    it("the ZK verifier is wired into the escrow by deploySuite (and absent when zkVerifier is ZeroAddress)", async function () {
      expect(await f.escrow.verifierOf(Mode.ZK)).to.equal(await f.zk.getAddress());
      expect(await f.zk.modelRegistry()).to.equal(await f.registry.getAddress());
      const [deployer, governance] = await ethers.getSigners();
      const noZk = await deploySuite(ethers, deployer, {
        ...LOCAL_PARAMS(governance.address, governance.address, deployer.address),
        zkVerifier: ZeroAddress,
      });
      expect(await noZk.escrow.verifierOf(Mode.ZK)).to.equal(ZeroAddress);
      await expect(ethers.deployContract("ZkResultVerifier", [ZeroAddress])).to.be.revertedWithCustomError(
        f.zk,
        "ZeroAddress",
      );
    });
  });

  describe("outputs and proofs", function () {
    it("a tampered logit, label or output length fails with InvalidProof", async function () {
      const { jobId, job } = await f.request();
      const { logits, label } = decodeOutput(proof.output);
      const tampered = [
        encodeOutput([logits[0] + 1n, logits[1], logits[2]], label),
        encodeOutput([logits[0], logits[1], logits[2] - 1n], label),
        encodeOutput(logits, (label + 1n) % 3n),
        encodeValues([...logits, label, 0n]), // 8 public signals: the 7-signal verifier has no such function
        encodeValues([...logits]), // 6 public signals
      ];
      for (const output of tampered) {
        await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, output, proof.proof), output)
          .to.be.revertedWithCustomError(f.zk, "InvalidProof")
          .withArgs(jobId);
      }
      await f.escrow.connect(f.node).submitResult(job, NO_CLAIM, proof.output, proof.proof);
      expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
    });

    it("a malformed output or a value outside (-r/2, r/2) fails with InvalidOutput", async function () {
      const { job } = await f.request();
      const { logits, label } = decodeOutput(proof.output);
      const word = (v: bigint) => toBytes32(v).slice(2);
      const body = proof.output.slice(2 + 128); // the four value words
      const bad = [
        "0x",
        proof.output.slice(0, -64), // length says 4, 3 values follow
        proof.output + "00".repeat(32), // trailing word
        "0x" + word(0x40n) + "00".repeat(32) + word(4n) + body, // non-canonical offset
        encodeValues([]),
        encodeValues([logits[0], logits[1], MAX_MAGNITUDE + 1n, label]),
        encodeValues([-(MAX_MAGNITUDE + 1n), logits[1], logits[2], label]),
        encodeValues([logits[0] + FIELD_R, logits[1], logits[2], label]), // v + r: not canonical
      ];
      for (const output of bad) {
        await expect(
          f.escrow.connect(f.node).submitResult(job, NO_CLAIM, output, proof.proof),
          output,
        ).to.be.revertedWithCustomError(f.zk, "InvalidOutput");
      }
      // The extremes of the range are well-formed (and refused by the proof, not the decoder).
      const edge = encodeValues([MAX_MAGNITUDE, -MAX_MAGNITUDE, logits[2], label]);
      await expect(
        f.escrow.connect(f.node).submitResult(job, NO_CLAIM, edge, proof.proof),
      ).to.be.revertedWithCustomError(f.zk, "InvalidProof");
    });

    it("a proof of the wrong length or with a coordinate changed fails with InvalidProof", async function () {
      const { jobId, job } = await f.request();
      const { pA, pB, pC } = decodeProof(proof.proof);
      const bad = [
        "0x",
        proof.proof.slice(0, -64),
        proof.proof + "00".repeat(32),
        encodeProof({ pA: [pA[0], pA[1] + 1n], pB, pC }),
        encodeProof({ pA, pB, pC: [pC[0], Q - pC[1]] }), // -C
        encodeProof({ pA: [pA[0], pA[1] + Q], pB, pC }), // non-canonical coordinate
      ];
      for (const p of bad) {
        await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, proof.output, p), p)
          .to.be.revertedWithCustomError(f.zk, "InvalidProof")
          .withArgs(jobId);
      }
    });
  });

  describe("verifier pinning and commitments", function () {
    it("a version without a ZK verifier reverts with NoZkVerifier", async function () {
      await f.registry.connect(f.modelOwner).publishVersion(f.modelId, {
        weightsDigest: f.weightsDigest,
        ioSchemaDigest: id("schema"),
        artifactURI: "ipfs://tee-only",
        royalty: ROYALTY,
        minCollateral: 0n,
        modes: modeBit(Mode.TEE),
        zkVerifier: ZeroAddress,
        teeMeasurements: [MEASUREMENT],
      });
      const { job } = await f.request();
      const ctx = { ...resultContext(job, f.node.address, keccak256(proof.output)), versionId: 2n };
      await expect(asEscrow(f).verifyResult.staticCall(ctx, proof.output, proof.proof, { from: escrow }))
        .to.be.revertedWithCustomError(f.zk, "NoZkVerifier")
        .withArgs(2n);
    });

    it("an input commitment >= r is rejected with InputCommitmentOutOfField", async function () {
      for (const digest of [toBytes32(FIELD_R), toBytes32(2n ** 256n - 1n)]) {
        await networkHelpers.loadFixture(fixture);
        const { job } = await f.request({ inputDigest: digest });
        await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, proof.output, proof.proof))
          .to.be.revertedWithCustomError(f.zk, "InputCommitmentOutOfField")
          .withArgs(digest);
        await expect(f.zk.publicSignals(escrow, resultContext(job, f.node.address, ZeroHash), proof.output))
          .to.be.revertedWithCustomError(f.zk, "InputCommitmentOutOfField")
          .withArgs(digest);
      }
      // r - 1 is a field element: accepted by the decoder, refused by the proof.
      await networkHelpers.loadFixture(fixture);
      const { jobId, job } = await f.request({ inputDigest: toBytes32(FIELD_R - 1n) });
      await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, proof.output, proof.proof))
        .to.be.revertedWithCustomError(f.zk, "InvalidProof")
        .withArgs(jobId);
    });

    it("a weights digest >= r is rejected with WeightsCommitmentOutOfField", async function () {
      const digest = toBytes32(FIELD_R + BigInt(f.weightsDigest)); // the right commitment plus r: not canonical
      await f.registry.connect(f.modelOwner).publishVersion(f.modelId, {
        weightsDigest: digest,
        ioSchemaDigest: id("schema"),
        artifactURI: "ipfs://mlp.onnx",
        royalty: ROYALTY,
        minCollateral: 0n,
        modes: modeBit(Mode.ZK),
        zkVerifier: await f.groth16.getAddress(),
        teeMeasurements: [],
      });
      const { job } = await f.request({ versionId: 2n });
      await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, proof.output, proof.proof))
        .to.be.revertedWithCustomError(f.zk, "WeightsCommitmentOutOfField")
        .withArgs(2n, digest);
    });

    it("an outputHash that is not the output's hash reverts with OutputHashMismatch", async function () {
      const { job } = await f.request();
      const ctx = resultContext(job, f.node.address, keccak256(proof.output + "00"));
      await expect(
        asEscrow(f).verifyResult.staticCall(ctx, proof.output, proof.proof, { from: escrow }),
      ).to.be.revertedWithCustomError(f.zk, "OutputHashMismatch");
    });

    it("ZK results cannot be batched: verifyBatch and the escrow's submitBatch revert with BatchNotSupported", async function () {
      const { job } = await f.request();
      await expect(f.zk.verifyBatch([], "0x")).to.be.revertedWithCustomError(f.zk, "BatchNotSupported");
      await expect(
        f.escrow.connect(f.node).submitBatch([job], [NO_CLAIM], [proof.output], proof.proof),
      ).to.be.revertedWithCustomError(f.zk, "BatchNotSupported");
    });
  });

  describe("views", function () {
    it("jobTag equals the TypeScript jobTagOf and changes with every bound field", async function () {
      const { job } = await f.request();
      const ctx = resultContext(job, f.node.address, keccak256(proof.output));
      const tag = await f.zk.jobTag(escrow, ctx);
      expect(tag).to.equal(jobTagOf(f.chainId, escrow, job, f.node.address));
      expect(tag).to.equal(proof.tag);
      expect(tag < FIELD_R).to.equal(true);
      expect(await f.zk.JOB_TAG_DOMAIN()).to.equal(JOB_TAG_DOMAIN);
      expect(await f.zk.SCALAR_FIELD()).to.equal(FIELD_R);
      // outputHash is not part of the tag; every other field is.
      expect(await f.zk.jobTag(escrow, { ...ctx, outputHash: id("x") })).to.equal(tag);
      const variants = [
        { ...ctx, jobId: ctx.jobId + 1n },
        { ...ctx, requester: f.other.address },
        { ...ctx, node: f.node2.address },
        { ...ctx, versionId: 2n },
        { ...ctx, inputDigest: toBytes32(1n) },
      ];
      for (const v of variants) {
        const t = await f.zk.jobTag(escrow, v);
        expect(t).to.not.equal(tag);
        const j = {
          requester: v.requester,
          nonce: v.jobId & 0xffffffffn,
          versionId: v.versionId,
          inputDigest: v.inputDigest,
        };
        if (v.jobId >> 32n === BigInt(v.requester)) expect(t).to.equal(jobTagOf(f.chainId, escrow, j, v.node));
      }
      expect(await f.zk.jobTag(f.other.address, ctx)).to.equal(
        jobTagOf(f.chainId, f.other.address, job, f.node.address),
      );
    });

    it("publicSignals equals the circuit's public signals and the TypeScript model", async function () {
      const { job } = await f.request();
      const ctx = resultContext(job, f.node.address, keccak256(proof.output));
      const onChain = await f.zk.publicSignals(escrow, ctx, proof.output);
      expect(onChain).to.deep.equal(proof.result.publicSignals.map(BigInt));
      const { logits, label } = decodeOutput(proof.output);
      expect(onChain).to.deep.equal(
        publicSignalsFor(logits, label, weightsCommitmentFromOnnx(), inputCommitment(ZK_INPUT), proof.tag),
      );
      expect(onChain.slice(0, 3).some((s) => s > MAX_MAGNITUDE)).to.equal(true); // a negative logit as r + v
      expect(ZK_INPUT_DIGEST).to.equal(job.inputDigest);
      await expect(f.zk.publicSignals(escrow, ctx, "0x1234")).to.be.revertedWithCustomError(f.zk, "InvalidOutput");
    });

    it("proofSelector(N) is verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N]) for any N", async function () {
      expect(await f.zk.proofSelector(7n)).to.equal(f.groth16.interface.getFunction("verifyProof").selector);
      for (const n of [0n, 1n, 4n, 10n, 123n, 2n ** 256n - 1n]) {
        expect(await f.zk.proofSelector(n)).to.equal(
          id(`verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${n}])`).slice(0, 10),
        );
      }
    });
  });

  describe("gas", function () {
    it("verifyResult costs the Groth16 verifier's own execution + under 40,000 gas; submit and request totals", async function () {
      const [sender] = await ethers.getSigners();
      const { pA, pB, pC, pubSignals } = proof.result.calldata;
      const verifyData = f.groth16.interface.encodeFunctionData("verifyProof", [pA, pB, pC, pubSignals]);
      const verifyReceipt = (await (
        await sender.sendTransaction({ to: await f.groth16.getAddress(), data: verifyData })
      ).wait())!;
      const verifierGas = executionGas(verifyReceipt, verifyData);

      const requests: TransactionReceipt[] = [];
      const jobs: Job[] = [];
      for (let i = 0; i < 2; i++) {
        const receipt = (await (
          await f.escrow.connect(f.requester).requestInference({
            versionId: f.versionId,
            mode: Mode.ZK,
            node: ZeroAddress,
            payment: PAYMENT,
            deliveryWindow: 600n,
            expiresAt: BigInt(await networkHelpers.time.latest()) + 3600n,
            callbackGasLimit: 0n,
            inputDigest: ZK_INPUT_DIGEST,
            inputURI: `data:application/json,${JSON.stringify(ZK_INPUT)}`,
          })
        ).wait())!;
        requests.push(receipt);
        jobs.push(requestedJobs(f.escrow, receipt.logs)[0].job);
      }

      // verifyResult alone, called by the escrow (impersonated) in a transaction of its own.
      const ctx = resultContext(jobs[0], f.node.address, keccak256(proof.output));
      const vrData = f.zk.interface.encodeFunctionData("verifyResult", [ctx, proof.output, proof.proof]);
      await networkHelpers.impersonateAccount(escrow);
      await networkHelpers.setBalance(escrow, 10n ** 18n);
      const escrowSigner = await ethers.getSigner(escrow);
      const vrReceipt = (await (
        await escrowSigner.sendTransaction({ to: await f.zk.getAddress(), data: vrData })
      ).wait())!;
      await networkHelpers.stopImpersonatingAccount(escrow);
      const verifyResultGas = executionGas(vrReceipt, vrData);
      const overhead = verifyResultGas - verifierGas;

      // Direct fulfil: the first settlement writes zero slots (node balance, model accrual); the second does not.
      const submits: TransactionReceipt[] = [];
      for (const [job, p] of [
        [jobs[0], proof],
        [jobs[1], secondProof],
      ] as const) {
        submits.push((await (await f.escrow.connect(f.node).submitResult(job, NO_CLAIM, p.output, p.proof)).wait())!);
        expect(await f.escrow.jobStatus(jobIdOf(job))).to.equal(JobStatus.Settled);
      }

      const bare = verifyReceipt.gasUsed;
      console.log(
        `      Groth16 verifyProof alone: tx gasUsed ${bare}, execution ${verifierGas}\n` +
          `      ZkResultVerifier.verifyResult: tx gasUsed ${vrReceipt.gasUsed}, execution ${verifyResultGas} ` +
          `(overhead over the verifier: ${overhead})\n` +
          `      ZK submitResult (direct fulfil): first settlement ${submits[0].gasUsed} (+${submits[0].gasUsed - bare} over ` +
          `the bare verifyProof tx), next ${submits[1].gasUsed} (+${submits[1].gasUsed - bare})\n` +
          `      requestInference ${requests[1].gasUsed} (first of the requester ${requests[0].gasUsed}); ` +
          `request + direct fulfil ${requests[0].gasUsed + submits[0].gasUsed} (first), ` +
          `${requests[1].gasUsed + submits[1].gasUsed} (next)`,
      );
      expect(verifierGas > 200_000n).to.equal(true); // 4 pairings + 7 scalar multiplications
      expect(overhead > 0n).to.equal(true);
      expect(overhead < 40_000n, `verifyResult overhead ${overhead}`).to.equal(true);
      expect(submits[1].gasUsed < submits[0].gasUsed).to.equal(true);
    });
  });
});
