import { expect } from "chai";
import { network } from "hardhat";
import { id, keccak256, toUtf8Bytes, ZeroAddress } from "ethers";
import { Mode, modeBit } from "./helpers/constants.js";
import { inputCommitment, toBytes32 } from "../zk/lib/commitment.js";
import { ERC7992_TAG_DOMAIN, erc7992TagOf, FIELD_R, GROTH16_BN254_V1 } from "../src/zk.js";
import { proveErc7992, type EncodedProof } from "../zk/lib/escrow.js";
import { readOnnxWeights } from "../zk/lib/onnx.js";
import { decodeOutput, encodeOutput } from "../zk/lib/prover.js";
import { forward } from "../zk/lib/reference.js";
import { releaseSnarkjs } from "../zk/lib/snark.js";
import type { Erc7992Adapter } from "../typechain-types/index.js";
import { MEASUREMENT, ROYALTY } from "./helpers/fixtures.js";
import { deployZkFixture } from "./helpers/zk.js";

const { ethers, networkHelpers } = await network.create();

/** An input whose three logits are all negative. */
const INPUT = [126, 127, 92, -75, -89, -81, 19, -128];
const INPUT_COMMITMENT = toBytes32(inputCommitment(INPUT));

async function adapterFixture() {
  const f = await deployZkFixture(ethers, networkHelpers);
  const adapter = (await ethers.deployContract("Erc7992Adapter", [
    await f.registry.getAddress(),
  ])) as unknown as Erc7992Adapter;
  return { ...f, adapter, adapterAddress: await adapter.getAddress() };
}
type F = Awaited<ReturnType<typeof adapterFixture>>;

/** ERC-165 id: XOR of the selectors of the functions an interface declares (written from the draft's text). */
function interfaceId(signatures: string[]): string {
  const x = signatures.reduce((acc, s) => acc ^ BigInt(id(s).slice(0, 10)), 0n);
  return "0x" + x.toString(16).padStart(8, "0");
}
const COMMITMENT = "(bytes32,bytes32,bytes32,bytes4,string)";
const IERC165_ID = interfaceId(["supportsInterface(bytes4)"]);
const REGISTRY_ID = interfaceId([
  `registerModel(${COMMITMENT})`,
  `updateModel(uint256,${COMMITMENT})`,
  "deprecateModel(uint256)",
  "getModel(uint256)",
]);
const VERIFIER_ID = interfaceId([
  "verifyInference(uint256,bytes32,bytes,bytes)",
  "proofSystemOf(uint256)",
  "registry()",
]);
const ADAPTER_ID = interfaceId([
  "TAG_DOMAIN()",
  "PROOF_SYSTEM_ID()",
  "SCALAR_FIELD()",
  "veritasRegistry()",
  "inferenceTag(address,uint256,bytes32)",
]);

describe("Erc7992Adapter (ERC-7992 draft over Veritas versions)", function () {
  this.timeout(60_000);
  let f: F;
  /** A proof of INPUT on version 1 for the requester calling verifyInference. */
  let proof: EncodedProof;

  before(async function () {
    f = await networkHelpers.loadFixture(adapterFixture);
    proof = await proveErc7992(f.versionId, f.requester.address, INPUT, f.chainId, f.adapterAddress);
  });

  beforeEach(async function () {
    f = await networkHelpers.loadFixture(adapterFixture);
  });

  after(async function () {
    await releaseSnarkjs();
  });

  it("a real proof verifies through verifyInference and emits InferenceVerified", async function () {
    const expected = forward(readOnnxWeights(), INPUT);
    const { logits, label } = decodeOutput(proof.output);
    expect(logits.map(Number)).to.deep.equal(expected.logits);
    expect(Number(label)).to.equal(expected.label);
    expect(expected.logits.every((l) => l < 0)).to.equal(true);
    await expect(
      f.adapter.connect(f.requester).verifyInference(f.versionId, INPUT_COMMITMENT, proof.output, proof.proof),
    )
      .to.emit(f.adapter, "InferenceVerified")
      .withArgs(f.versionId, INPUT_COMMITMENT, proof.output, f.requester.address);
  });

  it("a tampered output, another input or another model fails with InvalidProof; a malformed output with OutputMismatch", async function () {
    const a = f.adapter.connect(f.requester);
    const { logits, label } = decodeOutput(proof.output);
    for (const output of [
      encodeOutput([logits[0], logits[1] + 1n, logits[2]], label),
      encodeOutput(logits, (label + 1n) % 3n),
    ]) {
      await expect(a.verifyInference(f.versionId, INPUT_COMMITMENT, output, proof.proof)).to.be.revertedWithCustomError(
        f.adapter,
        "InvalidProof",
      );
    }
    const otherInput = toBytes32(inputCommitment([1, 2, 3, 4, 5, 6, 7, 8]));
    await expect(a.verifyInference(f.versionId, otherInput, proof.output, proof.proof)).to.be.revertedWithCustomError(
      f.adapter,
      "InvalidProof",
    );
    // Version 2: same weights, same verifier, other model id: the tag differs.
    await f.registry.connect(f.modelOwner).publishVersion(f.modelId, {
      weightsDigest: f.weightsDigest,
      ioSchemaDigest: id("schema"),
      artifactURI: "ipfs://mlp.onnx#2",
      royalty: ROYALTY,
      minCollateral: 0n,
      modes: modeBit(Mode.ZK),
      zkVerifier: await f.groth16.getAddress(),
      teeMeasurements: [],
    });
    await expect(a.verifyInference(2n, INPUT_COMMITMENT, proof.output, proof.proof)).to.be.revertedWithCustomError(
      f.adapter,
      "InvalidProof",
    );
    await expect(
      a.verifyInference(f.versionId, INPUT_COMMITMENT, proof.output + "00", proof.proof),
    ).to.be.revertedWithCustomError(f.adapter, "OutputMismatch");
    await expect(
      a.verifyInference(f.versionId, toBytes32(FIELD_R), proof.output, proof.proof),
    ).to.be.revertedWithCustomError(f.adapter, "InputCommitmentMismatch");
    await expect(a.verifyInference(f.versionId, INPUT_COMMITMENT, proof.output, proof.proof)).to.emit(
      f.adapter,
      "InferenceVerified",
    );
  });

  it("the tag is bound to the caller: the same proof from another account fails; inferenceTag equals the TS helper", async function () {
    await expect(
      f.adapter.connect(f.other).verifyInference(f.versionId, INPUT_COMMITMENT, proof.output, proof.proof),
    ).to.be.revertedWithCustomError(f.adapter, "InvalidProof");
    const tag = await f.adapter.inferenceTag(f.requester.address, f.versionId, INPUT_COMMITMENT);
    expect(tag).to.equal(proof.tag);
    expect(tag).to.equal(erc7992TagOf(f.chainId, f.adapterAddress, f.requester.address, f.versionId, INPUT_COMMITMENT));
    expect(await f.adapter.inferenceTag(f.other.address, f.versionId, INPUT_COMMITMENT)).to.not.equal(tag);
    expect(await f.adapter.TAG_DOMAIN()).to.equal(ERC7992_TAG_DOMAIN);
    expect(await f.adapter.SCALAR_FIELD()).to.equal(FIELD_R);
    // The escrow's job tag and the adapter's tag are different domains: an adapter proof is no escrow proof.
    expect(await f.zk.JOB_TAG_DOMAIN()).to.not.equal(ERC7992_TAG_DOMAIN);
  });

  it("getModel maps a Veritas version to the ERC model commitment, owner and deprecation", async function () {
    const [commitment, deprecated, owner] = await f.adapter.getModel(f.versionId);
    const [, codehash] = await f.registry.zkVerifierOf(f.versionId);
    expect(codehash).to.equal(keccak256(await ethers.provider.getCode(await f.groth16.getAddress())));
    const { modelHash, circuitHash, vkHash, proofSystemId, uri } = commitment;
    expect([modelHash, circuitHash, vkHash, proofSystemId, uri]).to.deep.equal([
      f.weightsDigest,
      toBytes32(0n),
      codehash,
      GROTH16_BN254_V1,
      "ipfs://mlp.onnx",
    ]);
    expect(GROTH16_BN254_V1).to.equal(keccak256(toUtf8Bytes("groth16-bn254-v1")).slice(0, 10));
    expect([deprecated, owner]).to.deep.equal([false, f.modelOwner.address]);
    expect(await f.adapter.proofSystemOf(f.versionId)).to.equal(GROTH16_BN254_V1);
    expect(await f.adapter.PROOF_SYSTEM_ID()).to.equal(GROTH16_BN254_V1);
    expect(await f.adapter.registry()).to.equal(f.adapterAddress);
    expect(await f.adapter.veritasRegistry()).to.equal(await f.registry.getAddress());

    // The owner follows the model's ERC-721 token; deprecation follows the version.
    await f.registry.connect(f.modelOwner).transferFrom(f.modelOwner.address, f.other.address, f.modelId);
    await f.registry.connect(f.other).deprecateVersion(f.versionId);
    const [, deprecatedNow, ownerNow] = await f.adapter.getModel(f.versionId);
    expect([deprecatedNow, ownerNow]).to.deep.equal([true, f.other.address]);
  });

  it("unknown ids and versions without a ZK verifier are ModelNotFound", async function () {
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
    for (const modelId of [0n, 2n, 3n, 2n ** 64n + 1n]) {
      await expect(f.adapter.getModel(modelId))
        .to.be.revertedWithCustomError(f.adapter, "ModelNotFound")
        .withArgs(modelId);
      await expect(f.adapter.proofSystemOf(modelId))
        .to.be.revertedWithCustomError(f.adapter, "ModelNotFound")
        .withArgs(modelId);
      await expect(f.adapter.verifyInference(modelId, INPUT_COMMITMENT, proof.output, proof.proof))
        .to.be.revertedWithCustomError(f.adapter, "ModelNotFound")
        .withArgs(modelId);
    }
  });

  it("a deprecated version is refused; a version whose verifier code changed is refused", async function () {
    const a = f.adapter.connect(f.requester);
    const verifier = await f.groth16.getAddress();
    const [, expected] = await f.registry.zkVerifierOf(f.versionId);
    const otherCode = await ethers.provider.getCode(await f.usd.getAddress());
    await networkHelpers.setCode(verifier, otherCode);
    await expect(a.verifyInference(f.versionId, INPUT_COMMITMENT, proof.output, proof.proof))
      .to.be.revertedWithCustomError(f.adapter, "VerifierCodeChanged")
      .withArgs(f.versionId, verifier, expected, keccak256(otherCode));

    await networkHelpers.loadFixture(adapterFixture);
    await f.registry.connect(f.modelOwner).deprecateVersion(f.versionId);
    await expect(a.verifyInference(f.versionId, INPUT_COMMITMENT, proof.output, proof.proof))
      .to.be.revertedWithCustomError(f.adapter, "VerificationRefused_ModelDeprecated")
      .withArgs(f.versionId);
  });

  it("the ERC registry mutators revert with RegistryReadOnly (versions are published in the ModelRegistry)", async function () {
    const commitment = {
      modelHash: f.weightsDigest,
      circuitHash: toBytes32(0n),
      vkHash: toBytes32(1n),
      proofSystemId: GROTH16_BN254_V1,
      uri: "ipfs://x",
    };
    const a = f.adapter.connect(f.modelOwner);
    await expect(a.registerModel(commitment)).to.be.revertedWithCustomError(f.adapter, "RegistryReadOnly");
    await expect(a.updateModel(f.versionId, commitment)).to.be.revertedWithCustomError(f.adapter, "RegistryReadOnly");
    await expect(a.deprecateModel(f.versionId)).to.be.revertedWithCustomError(f.adapter, "RegistryReadOnly");
    await expect(ethers.deployContract("Erc7992Adapter", [ZeroAddress])).to.be.revertedWithCustomError(
      f.adapter,
      "ZeroAddress",
    );
  });

  it("ERC-165: supports IERC165, the draft's registry and verifier interfaces and its own extension", async function () {
    expect(IERC165_ID).to.equal("0x01ffc9a7");
    for (const iid of [IERC165_ID, REGISTRY_ID, VERIFIER_ID, ADAPTER_ID]) {
      expect(await f.adapter.supportsInterface(iid), iid).to.equal(true);
    }
    for (const iid of ["0xffffffff", "0x00000000", "0x80ac58cd" /* ERC-721 */]) {
      expect(await f.adapter.supportsInterface(iid), iid).to.equal(false);
    }
  });
});
