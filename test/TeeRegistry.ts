import { expect } from "chai";
import { network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import {
  AbiCoder,
  id,
  keccak256,
  Signature,
  TypedDataEncoder,
  verifyTypedData,
  Wallet,
  ZeroAddress,
  ZeroHash,
  type TypedDataDomain,
} from "ethers";
import { MAX_ENCLAVE_KEY_LIFETIME_SECONDS } from "./helpers/constants.js";
import { jobIdOf } from "../src/jobs.js";
import {
  ATTESTATION_TYPES,
  attestationDomain,
  BATCH_TYPES,
  RESULT_TYPES,
  signAttestation,
  SimulatedEnclave,
  teeResultDomain,
} from "../src/tee.js";
import type { IResultVerifier, SignedAttestationVerifier, TeeRegistry } from "../typechain-types/index.js";
import { expectOneTimeBinding } from "./helpers/binding.js";
import { deployTeeFixture, MEASUREMENT, type TeeFixture } from "./helpers/fixtures.js";
import { TEE_BIT, versionParams } from "./helpers/versions.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const fixture = () => deployTeeFixture(ethers, networkHelpers);
const M2 = id("veritas-enclave-image-v2");
const DAY = 24n * 3600n;
const OUTPUT = AbiCoder.defaultAbiCoder().encode(["int256[]"], [[12n, -3n, 7n, 0n]]);

type Attestation = {
  service: Wallet;
  domain: TypedDataDomain;
  registry: string;
  node: string;
  enclaveKey: string;
  measurement: string;
  expiresAt: bigint;
};

/** Signs an attestation, by default a valid one for `node` registering `key` under `measurement` for 30 days. */
async function attest(
  f: TeeFixture,
  node: HardhatEthersSigner,
  key: string,
  measurement: string,
  o: Partial<Attestation> = {},
) {
  const a: Attestation = {
    service: f.attestationService,
    domain: attestationDomain(f.chainId, await f.attestation.getAddress()),
    registry: await f.tee.getAddress(),
    node: node.address,
    enclaveKey: key,
    measurement,
    expiresAt: BigInt(await time.latest()) + 30n * DAY,
    ...o,
  };
  const sig = await signAttestation(a.service, a.domain, a.registry, a.node, a.enclaveKey, a.measurement, a.expiresAt);
  return { sig, expiresAt: a.expiresAt };
}

describe("TeeRegistry", function () {
  describe("constructor", function () {
    it("wires staking and the attestation verifier and rejects zero addresses", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      expect(await f.tee.staking()).to.equal(await f.staking.getAddress());
      expect(await f.tee.attestationVerifier()).to.equal(await f.attestation.getAddress());
      expect(await f.tee.owner()).to.equal(f.governance.address);
      const factory = await ethers.getContractFactory("TeeRegistry");
      const s = await f.staking.getAddress();
      const a = await f.attestation.getAddress();
      await expect(factory.deploy(ZeroAddress, a, f.governance.address)).to.be.revertedWithCustomError(
        factory,
        "ZeroAddress",
      );
      await expect(factory.deploy(s, ZeroAddress, f.governance.address)).to.be.revertedWithCustomError(
        factory,
        "ZeroAddress",
      );
    });
  });

  describe("dispute manager binding and revokeForEquivocation", function () {
    it("binds once, by the deployer, to a non-zero address (BindingNotAllowed, ZeroAddress)", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const fresh = (await ethers.deployContract(
        "TeeRegistry",
        [await f.staking.getAddress(), await f.attestation.getAddress(), f.governance.address],
        f.other,
      )) as unknown as TeeRegistry;
      await expectOneTimeBinding(
        f.tee,
        await f.disputes.getAddress(),
        [f.deployer, f.other],
        fresh,
        f.other,
        f.node.address,
      );
    });

    it("only the dispute manager revokes for equivocation; an unknown key reverts, a revoked key stays revoked", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(f.tee.connect(f.node).revokeForEquivocation(f.enclave.address))
        .to.be.revertedWithCustomError(f.tee, "NotDisputeManager")
        .withArgs(f.node.address);
      const disputes = await f.disputes.getAddress();
      await networkHelpers.impersonateAccount(disputes);
      await networkHelpers.setBalance(disputes, 10n ** 18n);
      const asDisputes = f.tee.connect(await ethers.getSigner(disputes));
      await expect(asDisputes.revokeForEquivocation(f.other.address))
        .to.be.revertedWithCustomError(f.tee, "UnknownEnclaveKey")
        .withArgs(f.other.address);
      const a = await attest(f, f.node, f.enclave.address, MEASUREMENT);
      await f.tee.connect(f.node).registerEnclaveKey(f.enclave.address, MEASUREMENT, a.expiresAt, a.sig);
      await expect(asDisputes.revokeForEquivocation(f.enclave.address))
        .to.emit(f.tee, "EnclaveKeyRevoked")
        .withArgs(f.node.address, f.enclave.address);
      expect((await f.tee.getEnclaveKey(f.enclave.address)).revoked).to.equal(true);
      // A second revocation is a no-op: no event, still revoked.
      await expect(asDisputes.revokeForEquivocation(f.enclave.address)).not.to.emit(f.tee, "EnclaveKeyRevoked");
      expect((await f.tee.getEnclaveKey(f.enclave.address)).revoked).to.equal(true);
      await networkHelpers.stopImpersonatingAccount(disputes);
    });
  });

  describe("measurements", function () {
    it("approves a measurement (owner only) and rejects zero and duplicates with InvalidMeasurement", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      expect(await f.tee.isMeasurementApproved(MEASUREMENT)).to.equal(true);
      expect(await f.tee.isMeasurementApproved(M2)).to.equal(false);
      await expect(f.tee.connect(f.other).approveMeasurement(M2, "v2"))
        .to.be.revertedWithCustomError(f.tee, "OwnableUnauthorizedAccount")
        .withArgs(f.other.address);
      await expect(f.tee.connect(f.governance).approveMeasurement(M2, "image v2"))
        .to.emit(f.tee, "MeasurementApproved")
        .withArgs(M2, "image v2");
      expect(await f.tee.isMeasurementApproved(M2)).to.equal(true);
      await expect(f.tee.connect(f.governance).approveMeasurement(M2, "again"))
        .to.be.revertedWithCustomError(f.tee, "InvalidMeasurement")
        .withArgs(M2);
      await expect(f.tee.connect(f.governance).approveMeasurement(ZeroHash, "zero"))
        .to.be.revertedWithCustomError(f.tee, "InvalidMeasurement")
        .withArgs(ZeroHash);
    });

    it("revokes a measurement (owner only), rejects unknown or already revoked ones, and can approve it again", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(f.tee.connect(f.other).revokeMeasurement(MEASUREMENT))
        .to.be.revertedWithCustomError(f.tee, "OwnableUnauthorizedAccount")
        .withArgs(f.other.address);
      for (const m of [M2, ZeroHash]) {
        await expect(f.tee.connect(f.governance).revokeMeasurement(m))
          .to.be.revertedWithCustomError(f.tee, "InvalidMeasurement")
          .withArgs(m);
      }
      await expect(f.tee.connect(f.governance).revokeMeasurement(MEASUREMENT))
        .to.emit(f.tee, "MeasurementRevoked")
        .withArgs(MEASUREMENT);
      expect(await f.tee.isMeasurementApproved(MEASUREMENT)).to.equal(false);
      await expect(f.tee.connect(f.governance).revokeMeasurement(MEASUREMENT))
        .to.be.revertedWithCustomError(f.tee, "InvalidMeasurement")
        .withArgs(MEASUREMENT);
      await expect(f.tee.connect(f.governance).approveMeasurement(MEASUREMENT, "back")).to.emit(
        f.tee,
        "MeasurementApproved",
      );
      expect(await f.tee.isMeasurementApproved(MEASUREMENT)).to.equal(true);
    });
  });

  describe("attestation verifier and signers", function () {
    it("setAttestationVerifier: owner only, non-zero, emits AttestationVerifierSet", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const v2 = await ethers.deployContract("SignedAttestationVerifier", [f.governance.address]);
      const v2Address = await v2.getAddress();
      await expect(f.tee.connect(f.other).setAttestationVerifier(v2Address))
        .to.be.revertedWithCustomError(f.tee, "OwnableUnauthorizedAccount")
        .withArgs(f.other.address);
      await expect(f.tee.connect(f.governance).setAttestationVerifier(ZeroAddress)).to.be.revertedWithCustomError(
        f.tee,
        "ZeroAddress",
      );
      await expect(f.tee.connect(f.governance).setAttestationVerifier(v2Address))
        .to.emit(f.tee, "AttestationVerifierSet")
        .withArgs(v2Address);
      expect(await f.tee.attestationVerifier()).to.equal(v2Address);
    });

    it("a replaced verifier applies to later registrations only", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const v2 = (await ethers.deployContract("SignedAttestationVerifier", [
        f.governance.address,
      ])) as unknown as SignedAttestationVerifier;
      const service2 = new Wallet(id("service-2"));
      await v2.connect(f.governance).setAttestationSigner(service2.address, true);
      await f.tee.connect(f.governance).setAttestationVerifier(await v2.getAddress());

      const enclave3 = new SimulatedEnclave(MEASUREMENT, new Wallet(id("enclave-3")));
      const old = await attest(f, f.node, enclave3.address, MEASUREMENT);
      await expect(f.tee.connect(f.node).registerEnclaveKey(enclave3.address, MEASUREMENT, old.expiresAt, old.sig))
        .to.be.revertedWithCustomError(f.tee, "InvalidAttestation")
        .withArgs(f.node.address, enclave3.address);
      const fresh = await attest(f, f.node, enclave3.address, MEASUREMENT, {
        service: service2,
        domain: attestationDomain(f.chainId, await v2.getAddress()),
      });
      await expect(f.tee.connect(f.node).registerEnclaveKey(enclave3.address, MEASUREMENT, fresh.expiresAt, fresh.sig))
        .to.emit(f.tee, "EnclaveKeyRegistered")
        .withArgs(f.node.address, enclave3.address, MEASUREMENT, fresh.expiresAt);
      // Keys attested under the previous verifier stay active.
      expect(await f.tee.isActiveKey(f.enclave.address, f.node.address)).to.equal(true);
    });

    it("setAttestationSigner: owner only, non-zero, emits AttestationSignerSet, toggles isAttestationSigner", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const s = Wallet.createRandom().address;
      expect(await f.attestation.isAttestationSigner(f.attestationService.address)).to.equal(true);
      expect(await f.attestation.isAttestationSigner(s)).to.equal(false);
      await expect(f.attestation.connect(f.other).setAttestationSigner(s, true))
        .to.be.revertedWithCustomError(f.attestation, "OwnableUnauthorizedAccount")
        .withArgs(f.other.address);
      await expect(
        f.attestation.connect(f.governance).setAttestationSigner(ZeroAddress, true),
      ).to.be.revertedWithCustomError(f.attestation, "ZeroAddress");
      await expect(f.attestation.connect(f.governance).setAttestationSigner(s, true))
        .to.emit(f.attestation, "AttestationSignerSet")
        .withArgs(s, true);
      expect(await f.attestation.isAttestationSigner(s)).to.equal(true);
      await expect(f.attestation.connect(f.governance).setAttestationSigner(s, false))
        .to.emit(f.attestation, "AttestationSignerSet")
        .withArgs(s, false);
      expect(await f.attestation.isAttestationSigner(s)).to.equal(false);
    });

    it("a removed signer's attestations no longer register keys", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const enclave3 = new SimulatedEnclave(MEASUREMENT, new Wallet(id("enclave-3")));
      const a = await attest(f, f.node, enclave3.address, MEASUREMENT);
      await f.attestation.connect(f.governance).setAttestationSigner(f.attestationService.address, false);
      await expect(f.tee.connect(f.node).registerEnclaveKey(enclave3.address, MEASUREMENT, a.expiresAt, a.sig))
        .to.be.revertedWithCustomError(f.tee, "InvalidAttestation")
        .withArgs(f.node.address, enclave3.address);
      await f.attestation.connect(f.governance).setAttestationSigner(f.attestationService.address, true);
      await expect(f.tee.connect(f.node).registerEnclaveKey(enclave3.address, MEASUREMENT, a.expiresAt, a.sig)).to.emit(
        f.tee,
        "EnclaveKeyRegistered",
      );
    });

    it("attestationDigest and ATTESTATION_TYPEHASH match ethers' EIP-712 encoding of src/tee.ts types", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const domain = attestationDomain(f.chainId, await f.attestation.getAddress());
      const value = {
        registry: await f.tee.getAddress(),
        node: f.node.address,
        enclaveKey: f.enclave.address,
        measurement: MEASUREMENT,
        expiresAt: 1_234_567n,
      };
      expect(
        await f.attestation.attestationDigest(
          value.registry,
          value.node,
          value.enclaveKey,
          value.measurement,
          value.expiresAt,
        ),
      ).to.equal(TypedDataEncoder.hash(domain, ATTESTATION_TYPES, value));
      expect(await f.attestation.ATTESTATION_TYPEHASH()).to.equal(
        id(TypedDataEncoder.from(ATTESTATION_TYPES).encodeType("EnclaveAttestation")),
      );
    });

    it("verifyAttestation binds the calling registry and never reverts on a malformed attestation", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      // `other` plays a registry: an attestation naming `other` as registry verifies only when `other` calls.
      const a = await attest(f, f.node, f.enclave.address, MEASUREMENT, { registry: f.other.address });
      const args = [f.node.address, f.enclave.address, MEASUREMENT, a.expiresAt] as const;
      expect(await f.attestation.connect(f.other).verifyAttestation(...args, a.sig)).to.equal(true);
      expect(await f.attestation.connect(f.requester).verifyAttestation(...args, a.sig)).to.equal(false);
      for (const bad of ["0x", "0x" + "11".repeat(64), a.sig.slice(0, -2) + "00", a.sig + "00"]) {
        expect(await f.attestation.connect(f.other).verifyAttestation(...args, bad)).to.equal(false);
      }
    });
  });

  describe("registerEnclaveKey", function () {
    const enclave3 = new SimulatedEnclave(M2, new Wallet(id("enclave-3")));

    async function withM2() {
      const f = await deployTeeFixture(ethers, networkHelpers);
      await f.tee.connect(f.governance).approveMeasurement(M2, "image v2");
      return f;
    }

    it("registers a key with its measurement and expiry; a node may hold several keys", async function () {
      const f = await networkHelpers.loadFixture(withM2);
      expect(await f.tee.getEnclaveKey(enclave3.address)).to.deep.equal([ZeroAddress, 0n, false, ZeroHash]);
      const a = await attest(f, f.node, enclave3.address, M2);
      await expect(f.tee.connect(f.node).registerEnclaveKey(enclave3.address, M2, a.expiresAt, a.sig))
        .to.emit(f.tee, "EnclaveKeyRegistered")
        .withArgs(f.node.address, enclave3.address, M2, a.expiresAt);
      expect(await f.tee.getEnclaveKey(enclave3.address)).to.deep.equal([f.node.address, a.expiresAt, false, M2]);
      expect(await f.tee.isActiveKey(enclave3.address, f.node.address)).to.equal(true);
      expect(await f.tee.activeKeyMeasurement(enclave3.address, f.node.address)).to.equal(M2);
      expect(await f.tee.activeKeyMeasurement(f.enclave.address, f.node.address)).to.equal(MEASUREMENT);
    });

    it("reverts with ZeroAddress, NodeNotRegistered and MeasurementNotApproved", async function () {
      const f = await networkHelpers.loadFixture(withM2);
      const zero = await attest(f, f.node, ZeroAddress, M2);
      await expect(
        f.tee.connect(f.node).registerEnclaveKey(ZeroAddress, M2, zero.expiresAt, zero.sig),
      ).to.be.revertedWithCustomError(f.tee, "ZeroAddress");
      const forOther = await attest(f, f.other, enclave3.address, M2);
      await expect(f.tee.connect(f.other).registerEnclaveKey(enclave3.address, M2, forOther.expiresAt, forOther.sig))
        .to.be.revertedWithCustomError(f.tee, "NodeNotRegistered")
        .withArgs(f.other.address);
      const m3 = id("never-approved");
      const unapproved = await attest(f, f.node, enclave3.address, m3);
      await expect(f.tee.connect(f.node).registerEnclaveKey(enclave3.address, m3, unapproved.expiresAt, unapproved.sig))
        .to.be.revertedWithCustomError(f.tee, "MeasurementNotApproved")
        .withArgs(m3);
      await f.tee.connect(f.governance).revokeMeasurement(M2);
      const revoked = await attest(f, f.node, enclave3.address, M2);
      await expect(f.tee.connect(f.node).registerEnclaveKey(enclave3.address, M2, revoked.expiresAt, revoked.sig))
        .to.be.revertedWithCustomError(f.tee, "MeasurementNotApproved")
        .withArgs(M2);
    });

    it("reverts with InvalidKeyExpiry for an expiry not in the future or beyond 90 days", async function () {
      const f = await networkHelpers.loadFixture(withM2);
      const t = BigInt(await time.latest()) + 100n;
      const max = t + MAX_ENCLAVE_KEY_LIFETIME_SECONDS;
      for (const expiresAt of [t - 1n, t, max + 1n, 0n]) {
        const a = await attest(f, f.node, enclave3.address, M2, { expiresAt });
        await time.setNextBlockTimestamp(t);
        await expect(f.tee.connect(f.node).registerEnclaveKey(enclave3.address, M2, expiresAt, a.sig))
          .to.be.revertedWithCustomError(f.tee, "InvalidKeyExpiry")
          .withArgs(expiresAt, max);
      }
      for (const [ts, expiresAt] of [
        [t, max],
        [t + 1n, t + 2n],
      ]) {
        const a = await attest(f, f.node, enclave3.address, M2, { expiresAt });
        await time.setNextBlockTimestamp(ts);
        await expect(f.tee.connect(f.node).registerEnclaveKey(enclave3.address, M2, expiresAt, a.sig))
          .to.emit(f.tee, "EnclaveKeyRegistered")
          .withArgs(f.node.address, enclave3.address, M2, expiresAt);
      }
    });

    it("reverts with EnclaveKeyTaken when another node registers a key (even a revoked one)", async function () {
      const f = await networkHelpers.loadFixture(withM2);
      const a = await attest(f, f.node2, f.enclave.address, MEASUREMENT);
      await expect(f.tee.connect(f.node2).registerEnclaveKey(f.enclave.address, MEASUREMENT, a.expiresAt, a.sig))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyTaken")
        .withArgs(f.enclave.address, f.node.address);
      await f.tee.connect(f.node).revokeEnclaveKey(f.enclave.address);
      await expect(f.tee.connect(f.node2).registerEnclaveKey(f.enclave.address, MEASUREMENT, a.expiresAt, a.sig))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyTaken")
        .withArgs(f.enclave.address, f.node.address);
    });

    it("reverts with InvalidAttestation unless every signed field, the chain and the deployment match", async function () {
      const f = await networkHelpers.loadFixture(withM2);
      const expiresAt = BigInt(await time.latest()) + 30n * DAY;
      const verifier = await f.attestation.getAddress();
      const cases: Partial<Attestation>[] = [
        { service: new Wallet(id("unapproved-service")) },
        { node: f.node2.address },
        { enclaveKey: f.enclave2.address },
        { measurement: MEASUREMENT },
        { expiresAt: expiresAt + 1n },
        { registry: f.other.address },
        { registry: await f.staking.getAddress() },
        { domain: attestationDomain(f.chainId + 1n, verifier) },
        { domain: attestationDomain(f.chainId, await f.teeVerifier.getAddress()) },
        { domain: { ...attestationDomain(f.chainId, verifier), name: "Veritas Attestation v2" } },
        { domain: { ...attestationDomain(f.chainId, verifier), version: "2" } },
      ];
      for (const c of cases) {
        const a = await attest(f, f.node, enclave3.address, M2, { expiresAt, ...c });
        await expect(f.tee.connect(f.node).registerEnclaveKey(enclave3.address, M2, expiresAt, a.sig))
          .to.be.revertedWithCustomError(f.tee, "InvalidAttestation")
          .withArgs(f.node.address, enclave3.address);
      }
      // A node's own signature, and malformed bytes, are no attestation either.
      const good = await attest(f, f.node, enclave3.address, M2, { expiresAt });
      const selfSigned = await f.node.signTypedData(attestationDomain(f.chainId, verifier), ATTESTATION_TYPES, {
        registry: await f.tee.getAddress(),
        node: f.node.address,
        enclaveKey: enclave3.address,
        measurement: M2,
        expiresAt,
      });
      for (const sig of [selfSigned, "0x", good.sig.slice(0, 130), good.sig + "00"]) {
        await expect(f.tee.connect(f.node).registerEnclaveKey(enclave3.address, M2, expiresAt, sig))
          .to.be.revertedWithCustomError(f.tee, "InvalidAttestation")
          .withArgs(f.node.address, enclave3.address);
      }
      // The unmodified attestation does register.
      await expect(f.tee.connect(f.node).registerEnclaveKey(enclave3.address, M2, expiresAt, good.sig)).to.emit(
        f.tee,
        "EnclaveKeyRegistered",
      );
    });

    it("lets the same node re-attest its key to extend its expiry", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const first = (await f.tee.getEnclaveKey(f.enclave.address)).expiresAt;
      const later = first + 30n * DAY;
      const a = await attest(f, f.node, f.enclave.address, MEASUREMENT, { expiresAt: later });
      await expect(f.tee.connect(f.node).registerEnclaveKey(f.enclave.address, MEASUREMENT, later, a.sig))
        .to.emit(f.tee, "EnclaveKeyRegistered")
        .withArgs(f.node.address, f.enclave.address, MEASUREMENT, later);
      expect(await f.tee.getEnclaveKey(f.enclave.address)).to.deep.equal([f.node.address, later, false, MEASUREMENT]);
      await time.increaseTo(first + 10n);
      expect(await f.tee.isActiveKey(f.enclave.address, f.node.address)).to.equal(true);
      expect(await f.tee.activeKeyMeasurement(f.enclave.address, f.node.address)).to.equal(MEASUREMENT);
    });
  });

  describe("revokeEnclaveKey", function () {
    it("is final: replaying the key's original attestation cannot bring it back", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const a = await attest(f, f.node, f.enclave.address, MEASUREMENT);
      await f.tee.connect(f.node).registerEnclaveKey(f.enclave.address, MEASUREMENT, a.expiresAt, a.sig);
      await f.tee.connect(f.node).revokeEnclaveKey(f.enclave.address);
      await expect(f.tee.connect(f.node).registerEnclaveKey(f.enclave.address, MEASUREMENT, a.expiresAt, a.sig))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyRevokedError")
        .withArgs(f.enclave.address);
      expect(await f.tee.isActiveKey(f.enclave.address, f.node.address)).to.equal(false);
    });

    it("revokes the caller's key and emits EnclaveKeyRevoked", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const before = await f.tee.getEnclaveKey(f.enclave.address);
      await expect(f.tee.connect(f.node).revokeEnclaveKey(f.enclave.address))
        .to.emit(f.tee, "EnclaveKeyRevoked")
        .withArgs(f.node.address, f.enclave.address);
      expect(await f.tee.getEnclaveKey(f.enclave.address)).to.deep.equal([
        f.node.address,
        before.expiresAt,
        true,
        MEASUREMENT,
      ]);
      expect(await f.tee.isActiveKey(f.enclave.address, f.node.address)).to.equal(false);
      expect(await f.tee.isActiveKey(f.enclave2.address, f.node2.address)).to.equal(true);
    });

    it("reverts with UnknownEnclaveKey, EnclaveKeyNotOwned and EnclaveKeyRevokedError", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const unknown = Wallet.createRandom().address;
      await expect(f.tee.connect(f.node).revokeEnclaveKey(unknown))
        .to.be.revertedWithCustomError(f.tee, "UnknownEnclaveKey")
        .withArgs(unknown);
      await expect(f.tee.connect(f.node2).revokeEnclaveKey(f.enclave.address))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyNotOwned")
        .withArgs(f.enclave.address, f.node.address, f.node2.address);
      await expect(f.tee.connect(f.governance).revokeEnclaveKey(f.enclave.address))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyNotOwned")
        .withArgs(f.enclave.address, f.node.address, f.governance.address);
      await f.tee.connect(f.node).revokeEnclaveKey(f.enclave.address);
      await expect(f.tee.connect(f.node).revokeEnclaveKey(f.enclave.address))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyRevokedError")
        .withArgs(f.enclave.address);
    });
  });

  describe("isActiveKey / activeKeyMeasurement", function () {
    it("an active key of its node", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      expect(await f.tee.isActiveKey(f.enclave.address, f.node.address)).to.equal(true);
      expect(await f.tee.activeKeyMeasurement(f.enclave.address, f.node.address)).to.equal(MEASUREMENT);
    });

    it("an unknown key", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const unknown = Wallet.createRandom().address;
      expect(await f.tee.isActiveKey(unknown, f.node.address)).to.equal(false);
      expect(await f.tee.isActiveKey(unknown, ZeroAddress)).to.equal(false);
      await expect(f.tee.activeKeyMeasurement(unknown, f.node.address))
        .to.be.revertedWithCustomError(f.tee, "UnknownEnclaveKey")
        .withArgs(unknown);
      await expect(f.tee.activeKeyMeasurement(unknown, ZeroAddress))
        .to.be.revertedWithCustomError(f.tee, "UnknownEnclaveKey")
        .withArgs(unknown);
    });

    it("another node's key", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      expect(await f.tee.isActiveKey(f.enclave.address, f.node2.address)).to.equal(false);
      await expect(f.tee.activeKeyMeasurement(f.enclave.address, f.node2.address))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyNotOwned")
        .withArgs(f.enclave.address, f.node.address, f.node2.address);
    });

    it("a revoked key", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await f.tee.connect(f.node).revokeEnclaveKey(f.enclave.address);
      expect(await f.tee.isActiveKey(f.enclave.address, f.node.address)).to.equal(false);
      await expect(f.tee.activeKeyMeasurement(f.enclave.address, f.node.address))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyRevokedError")
        .withArgs(f.enclave.address);
    });

    it("an expired key", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const { expiresAt } = await f.tee.getEnclaveKey(f.enclave.address);
      await time.increaseTo(expiresAt - 5n);
      expect(await f.tee.isActiveKey(f.enclave.address, f.node.address)).to.equal(true);
      await time.increaseTo(expiresAt);
      expect(await f.tee.isActiveKey(f.enclave.address, f.node.address)).to.equal(false);
      await expect(f.tee.activeKeyMeasurement(f.enclave.address, f.node.address))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyExpired")
        .withArgs(f.enclave.address, expiresAt);
    });

    it("a key whose measurement was revoked (and again active once it is re-approved)", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await f.tee.connect(f.governance).revokeMeasurement(MEASUREMENT);
      for (const [key, node] of [
        [f.enclave.address, f.node.address],
        [f.enclave2.address, f.node2.address],
      ]) {
        expect(await f.tee.isActiveKey(key, node)).to.equal(false);
        await expect(f.tee.activeKeyMeasurement(key, node))
          .to.be.revertedWithCustomError(f.tee, "MeasurementNotApproved")
          .withArgs(MEASUREMENT);
      }
      await f.tee.connect(f.governance).approveMeasurement(MEASUREMENT, "again");
      expect(await f.tee.isActiveKey(f.enclave.address, f.node.address)).to.equal(true);
    });
  });
});

describe("TeeResultVerifier", function () {
  const INPUT = keccak256(AbiCoder.defaultAbiCoder().encode(["int8[]"], [[1, 2, 3, 4, 5, 6, 7, 8]]));

  type Ctx = IResultVerifier.ResultContextStruct & {
    jobId: bigint;
    requester: string;
    node: string;
    versionId: bigint;
    inputDigest: string;
    outputHash: string;
  };

  /** The fixture, plus version 2 (allows MEASUREMENT too) and version 3 (allows only M2), both TEE. */
  async function verifierFixture() {
    const f = await deployTeeFixture(ethers, networkHelpers);
    await f.registry
      .connect(f.modelOwner)
      .publishVersion(f.modelId, versionParams({ teeMeasurements: [M2, MEASUREMENT] }));
    await f.registry
      .connect(f.modelOwner)
      .publishVersion(f.modelId, versionParams({ modes: TEE_BIT, teeMeasurements: [M2] }));
    return f;
  }

  function ctxOf(f: TeeFixture, nonce: bigint, o: Partial<Ctx> = {}): Ctx {
    return {
      jobId: jobIdOf({ requester: f.requester.address, nonce }),
      requester: f.requester.address,
      node: f.node.address,
      versionId: f.versionId,
      inputDigest: INPUT,
      outputHash: keccak256(OUTPUT),
      ...o,
    };
  }

  const messageOf = (escrow: string, c: Ctx) => ({
    escrow,
    jobId: c.jobId,
    modelVersion: c.versionId,
    inputHash: c.inputDigest,
    outputHash: c.outputHash,
  });

  const signOne = (key: Wallet, domain: TypedDataDomain, escrow: string, c: Ctx) =>
    key.signTypedData(domain, RESULT_TYPES, messageOf(escrow, c));

  const signMany = (key: Wallet, domain: TypedDataDomain, escrow: string, cs: Ctx[]) =>
    key.signTypedData(domain, BATCH_TYPES, { results: cs.map((c) => messageOf(escrow, c)) });

  const RESULT_MAGIC = (f: TeeFixture) => f.teeVerifier.interface.getFunction("verifyResult").selector;
  const BATCH_MAGIC = (f: TeeFixture) => f.teeVerifier.interface.getFunction("verifyBatch").selector;

  it("wires the registries and rejects zero addresses", async function () {
    const f = await networkHelpers.loadFixture(verifierFixture);
    expect(await f.teeVerifier.teeRegistry()).to.equal(await f.tee.getAddress());
    expect(await f.teeVerifier.modelRegistry()).to.equal(await f.registry.getAddress());
    const factory = await ethers.getContractFactory("TeeResultVerifier");
    await expect(factory.deploy(ZeroAddress, await f.registry.getAddress())).to.be.revertedWithCustomError(
      factory,
      "ZeroAddress",
    );
    await expect(factory.deploy(await f.tee.getAddress(), ZeroAddress)).to.be.revertedWithCustomError(
      factory,
      "ZeroAddress",
    );
  });

  it("digests and type hashes equal ethers' EIP-712 encoding of the src/tee.ts types", async function () {
    const f = await networkHelpers.loadFixture(verifierFixture);
    const escrow = f.other.address;
    const d = await f.teeVerifier.eip712Domain();
    expect([d.name, d.version, d.chainId, d.verifyingContract]).to.deep.equal([
      f.teeDomain.name,
      f.teeDomain.version,
      f.chainId,
      f.teeDomain.verifyingContract,
    ]);
    const c1 = ctxOf(f, 1n);
    const c2 = ctxOf(f, 2n, { versionId: 2n, outputHash: id("other output") });
    const m1 = messageOf(escrow, c1);
    const m2 = messageOf(escrow, c2);
    const enc = TypedDataEncoder.from(RESULT_TYPES);
    expect(await f.teeVerifier.RESULT_TYPEHASH()).to.equal(id(enc.encodeType("InferenceResult")));
    expect(await f.teeVerifier.BATCH_TYPEHASH()).to.equal(
      id(TypedDataEncoder.from(BATCH_TYPES).encodeType("InferenceBatch")),
    );
    const h1 = await f.teeVerifier.resultStructHash(escrow, m1.jobId, m1.modelVersion, m1.inputHash, m1.outputHash);
    const h2 = await f.teeVerifier.resultStructHash(escrow, m2.jobId, m2.modelVersion, m2.inputHash, m2.outputHash);
    expect(h1).to.equal(enc.hashStruct("InferenceResult", m1));
    expect(h2).to.equal(enc.hashStruct("InferenceResult", m2));
    expect(await f.teeVerifier.resultDigest(escrow, m1.jobId, m1.modelVersion, m1.inputHash, m1.outputHash)).to.equal(
      TypedDataEncoder.hash(f.teeDomain, RESULT_TYPES, m1),
    );
    expect(await f.teeVerifier.batchDigest([h1, h2])).to.equal(
      TypedDataEncoder.hash(f.teeDomain, BATCH_TYPES, { results: [m1, m2] }),
    );
    expect(await f.teeVerifier.batchDigest([])).to.equal(
      TypedDataEncoder.hash(f.teeDomain, BATCH_TYPES, { results: [] }),
    );
  });

  describe("verifyResult", function () {
    it("returns its selector for a good signature, with the caller as the escrow", async function () {
      const f = await networkHelpers.loadFixture(verifierFixture);
      const escrow = f.other;
      const c = ctxOf(f, 1n);
      const sig = await signOne(f.enclave.key, f.teeDomain, escrow.address, c);
      expect(await f.teeVerifier.connect(escrow).verifyResult(c, OUTPUT, sig)).to.equal(RESULT_MAGIC(f));
      // node2's enclave for node2, and a second version allowing the measurement.
      const c2 = ctxOf(f, 2n, { node: f.node2.address, versionId: 2n });
      const sig2 = await signOne(f.enclave2.key, f.teeDomain, escrow.address, c2);
      expect(await f.teeVerifier.connect(escrow).verifyResult(c2, OUTPUT, sig2)).to.equal(RESULT_MAGIC(f));
    });

    it("rejects a signature over another job, chain, escrow, version, input or output (the recovered key is unknown)", async function () {
      const f = await networkHelpers.loadFixture(verifierFixture);
      const escrow = f.other;
      const c = ctxOf(f, 1n);
      const variants: { ctx?: Partial<Ctx>; domain?: TypedDataDomain; escrow?: string }[] = [
        { ctx: { jobId: jobIdOf({ requester: f.requester.address, nonce: 2n }) } },
        { ctx: { jobId: jobIdOf({ requester: f.other.address, nonce: 1n }) } },
        { domain: teeResultDomain(f.chainId + 1n, await f.teeVerifier.getAddress()) },
        { domain: teeResultDomain(f.chainId, await f.escrow.getAddress()) },
        { escrow: await f.escrow.getAddress() },
        { ctx: { versionId: 2n } },
        { ctx: { inputDigest: id("another input") } },
        { ctx: { outputHash: id("another output") } },
      ];
      for (const v of variants) {
        const sig = await signOne(f.enclave.key, v.domain ?? f.teeDomain, v.escrow ?? escrow.address, {
          ...c,
          ...v.ctx,
        });
        const recovered = verifyTypedData(f.teeDomain, RESULT_TYPES, messageOf(escrow.address, c), sig);
        expect(recovered).to.not.equal(f.enclave.address);
        await expect(f.teeVerifier.connect(escrow).verifyResult(c, OUTPUT, sig))
          .to.be.revertedWithCustomError(f.tee, "UnknownEnclaveKey")
          .withArgs(recovered);
      }
    });

    it("rejects a result signed for one escrow when another escrow asks", async function () {
      const f = await networkHelpers.loadFixture(verifierFixture);
      const c = ctxOf(f, 1n);
      const sig = await signOne(f.enclave.key, f.teeDomain, f.other.address, c);
      const recovered = verifyTypedData(f.teeDomain, RESULT_TYPES, messageOf(f.requester.address, c), sig);
      await expect(f.teeVerifier.connect(f.requester).verifyResult(c, OUTPUT, sig))
        .to.be.revertedWithCustomError(f.tee, "UnknownEnclaveKey")
        .withArgs(recovered);
    });

    it("reverts with InvalidSignature for a malformed or malleated signature", async function () {
      const f = await networkHelpers.loadFixture(verifierFixture);
      const c = ctxOf(f, 1n);
      const good = await signOne(f.enclave.key, f.teeDomain, f.other.address, c);
      const s = Signature.from(good);
      const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const highS = "0x" + (N - BigInt(s.s)).toString(16).padStart(64, "0");
      const malleated = s.r + highS.slice(2) + (s.v === 27 ? "1c" : "1b");
      const bad = ["0x", good.slice(0, 130), good + "00", s.r + s.s.slice(2) + "05", malleated, "0x" + "00".repeat(65)];
      for (const sig of bad) {
        await expect(f.teeVerifier.connect(f.other).verifyResult(c, OUTPUT, sig)).to.be.revertedWithCustomError(
          f.teeVerifier,
          "InvalidSignature",
        );
      }
    });

    it("reverts with MeasurementNotAllowed for a version that does not allow the key's measurement", async function () {
      const f = await networkHelpers.loadFixture(verifierFixture);
      for (const versionId of [3n, 99n]) {
        const c = ctxOf(f, 1n, { versionId });
        const sig = await signOne(f.enclave.key, f.teeDomain, f.other.address, c);
        await expect(f.teeVerifier.connect(f.other).verifyResult(c, OUTPUT, sig))
          .to.be.revertedWithCustomError(f.teeVerifier, "MeasurementNotAllowed")
          .withArgs(versionId, MEASUREMENT);
      }
    });

    it("rejects a key of another node, a revoked key, a revoked measurement and an expired key", async function () {
      const f = await networkHelpers.loadFixture(verifierFixture);
      const c = ctxOf(f, 1n);
      const sig = await signOne(f.enclave.key, f.teeDomain, f.other.address, c);
      const asNode2 = ctxOf(f, 1n, { node: f.node2.address });
      const sigNode2 = await signOne(f.enclave.key, f.teeDomain, f.other.address, asNode2);
      await expect(f.teeVerifier.connect(f.other).verifyResult(asNode2, OUTPUT, sigNode2))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyNotOwned")
        .withArgs(f.enclave.address, f.node.address, f.node2.address);

      await f.tee.connect(f.governance).revokeMeasurement(MEASUREMENT);
      await expect(f.teeVerifier.connect(f.other).verifyResult(c, OUTPUT, sig))
        .to.be.revertedWithCustomError(f.tee, "MeasurementNotApproved")
        .withArgs(MEASUREMENT);
      await f.tee.connect(f.governance).approveMeasurement(MEASUREMENT, "again");
      expect(await f.teeVerifier.connect(f.other).verifyResult(c, OUTPUT, sig)).to.equal(RESULT_MAGIC(f));

      const { expiresAt } = await f.tee.getEnclaveKey(f.enclave.address);
      await time.increaseTo(expiresAt);
      await expect(f.teeVerifier.connect(f.other).verifyResult(c, OUTPUT, sig))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyExpired")
        .withArgs(f.enclave.address, expiresAt);

      const c2 = ctxOf(f, 1n, { node: f.node2.address });
      const sig2 = await signOne(f.enclave2.key, f.teeDomain, f.other.address, c2);
      await f.tee.connect(f.node2).revokeEnclaveKey(f.enclave2.address);
      await expect(f.teeVerifier.connect(f.other).verifyResult(c2, OUTPUT, sig2))
        .to.be.revertedWithCustomError(f.tee, "EnclaveKeyRevokedError")
        .withArgs(f.enclave2.address);
    });

    it("does not accept a batch signature for a single result, nor a single-result signature as a batch", async function () {
      const f = await networkHelpers.loadFixture(verifierFixture);
      const c = ctxOf(f, 1n);
      const batchSig = await signMany(f.enclave.key, f.teeDomain, f.other.address, [c]);
      const oneSig = await signOne(f.enclave.key, f.teeDomain, f.other.address, c);
      await expect(f.teeVerifier.connect(f.other).verifyResult(c, OUTPUT, batchSig)).to.be.revertedWithCustomError(
        f.tee,
        "UnknownEnclaveKey",
      );
      await expect(f.teeVerifier.connect(f.other).verifyBatch([c], oneSig)).to.be.revertedWithCustomError(
        f.tee,
        "UnknownEnclaveKey",
      );
      expect(await f.teeVerifier.connect(f.other).verifyBatch([c], batchSig)).to.equal(BATCH_MAGIC(f));
    });
  });

  describe("verifyBatch", function () {
    it("returns its selector for one signature over many results (several versions allowing the measurement)", async function () {
      const f = await networkHelpers.loadFixture(verifierFixture);
      const cs = [ctxOf(f, 1n), ctxOf(f, 2n, { versionId: 2n }), ctxOf(f, 3n), ctxOf(f, 4n, { outputHash: id("o4") })];
      const sig = await signMany(f.enclave.key, f.teeDomain, f.other.address, cs);
      expect(await f.teeVerifier.connect(f.other).verifyBatch(cs, sig)).to.equal(BATCH_MAGIC(f));
    });

    it("reverts with EmptyBatch for no results", async function () {
      const f = await networkHelpers.loadFixture(verifierFixture);
      await expect(f.teeVerifier.connect(f.other).verifyBatch([], "0x")).to.be.revertedWithCustomError(
        f.teeVerifier,
        "EmptyBatch",
      );
    });

    it("reverts with MixedBatch when the results name different nodes", async function () {
      const f = await networkHelpers.loadFixture(verifierFixture);
      const cs = [ctxOf(f, 1n), ctxOf(f, 2n, { node: f.node2.address })];
      const sig = await signMany(f.enclave.key, f.teeDomain, f.other.address, cs);
      await expect(f.teeVerifier.connect(f.other).verifyBatch(cs, sig)).to.be.revertedWithCustomError(
        f.teeVerifier,
        "MixedBatch",
      );
    });

    it("reverts with MeasurementNotAllowed when any later result's version does not allow the measurement", async function () {
      const f = await networkHelpers.loadFixture(verifierFixture);
      const cs = [ctxOf(f, 1n), ctxOf(f, 2n, { versionId: 2n }), ctxOf(f, 3n, { versionId: 3n }), ctxOf(f, 4n)];
      const sig = await signMany(f.enclave.key, f.teeDomain, f.other.address, cs);
      await expect(f.teeVerifier.connect(f.other).verifyBatch(cs, sig))
        .to.be.revertedWithCustomError(f.teeVerifier, "MeasurementNotAllowed")
        .withArgs(3n, MEASUREMENT);
      // A version that only reappears after another one is checked again.
      const cs2 = [
        ctxOf(f, 1n),
        ctxOf(f, 2n, { versionId: 2n }),
        ctxOf(f, 3n, { versionId: 1n }),
        ctxOf(f, 4n, { versionId: 3n }),
      ];
      const sig2 = await signMany(f.enclave.key, f.teeDomain, f.other.address, cs2);
      await expect(f.teeVerifier.connect(f.other).verifyBatch(cs2, sig2))
        .to.be.revertedWithCustomError(f.teeVerifier, "MeasurementNotAllowed")
        .withArgs(3n, MEASUREMENT);
    });

    it("rejects a reordered, shortened or tampered batch, and one signed for another escrow", async function () {
      const f = await networkHelpers.loadFixture(verifierFixture);
      const cs = [ctxOf(f, 1n), ctxOf(f, 2n), ctxOf(f, 3n)];
      const sig = await signMany(f.enclave.key, f.teeDomain, f.other.address, cs);
      const tampered = [cs[0], { ...cs[1], outputHash: id("forged") }, cs[2]];
      for (const batch of [[cs[1], cs[0], cs[2]], cs.slice(0, 2), tampered]) {
        await expect(f.teeVerifier.connect(f.other).verifyBatch(batch, sig)).to.be.revertedWithCustomError(
          f.tee,
          "UnknownEnclaveKey",
        );
      }
      await expect(f.teeVerifier.connect(f.requester).verifyBatch(cs, sig)).to.be.revertedWithCustomError(
        f.tee,
        "UnknownEnclaveKey",
      );
      await expect(f.teeVerifier.connect(f.other).verifyBatch(cs, "0x1234")).to.be.revertedWithCustomError(
        f.teeVerifier,
        "InvalidSignature",
      );
    });
  });
});
