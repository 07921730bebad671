import { expect } from "chai";
import { network } from "hardhat";
import { id, keccak256, ZeroAddress, ZeroHash } from "ethers";
import type { MockUSD, ModelRegistry } from "../typechain-types/index.js";
import { OPTIMISTIC_BIT, TEE_BIT, versionParams, ZK_BIT } from "./helpers/versions.js";

const { ethers, networkHelpers } = await network.create();

const M1 = id("measurement-1");
const M2 = id("measurement-2");
const UINT96_MAX = 2n ** 96n - 1n;

async function registryFixture() {
  const [deployer, owner, other, third] = await ethers.getSigners();
  const registry = (await ethers.deployContract("ModelRegistry", [], deployer)) as unknown as ModelRegistry;
  // Any contract stands in for a ZK verifier: the registry only checks that it has code and records its codehash.
  const verifier = (await ethers.deployContract("MockUSD", [], deployer)) as unknown as MockUSD;
  return { registry, verifier, deployer, owner, other, third };
}

/** The registry with model 1 created by `owner` (no versions yet). */
async function modelFixture() {
  const f = await registryFixture();
  await f.registry.connect(f.owner).createModel("ipfs://model-1");
  return { ...f, modelId: 1n };
}

/** Model 1 with a TEE version 1 (M1, M2) and an all-modes version 2. */
async function versionsFixture() {
  const f = await modelFixture();
  await f.registry.connect(f.owner).publishVersion(1n, versionParams({ teeMeasurements: [M1, M2] }));
  await f.registry.connect(f.owner).publishVersion(
    1n,
    versionParams({
      modes: TEE_BIT | ZK_BIT | OPTIMISTIC_BIT,
      zkVerifier: await f.verifier.getAddress(),
      teeMeasurements: [M1],
    }),
  );
  return f;
}

describe("ModelRegistry", function () {
  describe("createModel", function () {
    it("mints model tokens with ids from 1, records the metadata URI and emits ModelCreated", async function () {
      const { registry, owner, other } = await networkHelpers.loadFixture(registryFixture);
      expect(await registry.modelCount()).to.equal(0n);
      expect(await registry.connect(owner).createModel.staticCall("ipfs://a")).to.equal(1n);

      await expect(registry.connect(owner).createModel("ipfs://a"))
        .to.emit(registry, "ModelCreated")
        .withArgs(1n, owner.address, "ipfs://a")
        .and.to.emit(registry, "Transfer")
        .withArgs(ZeroAddress, owner.address, 1n);
      await expect(registry.connect(other).createModel("ar://b"))
        .to.emit(registry, "ModelCreated")
        .withArgs(2n, other.address, "ar://b");

      expect(await registry.modelCount()).to.equal(2n);
      expect(await registry.ownerOf(1n)).to.equal(owner.address);
      expect(await registry.ownerOf(2n)).to.equal(other.address);
      expect(await registry.modelOwner(1n)).to.equal(owner.address);
      expect(await registry.modelOwner(2n)).to.equal(other.address);
      expect(await registry.balanceOf(owner.address)).to.equal(1n);
      expect(await registry.tokenURI(1n)).to.equal("ipfs://a");
      expect(await registry.tokenURI(2n)).to.equal("ar://b");
      expect(await registry.versionsOf(1n)).to.deep.equal([]);
      expect(await registry.versionCount()).to.equal(0n);
    });

    it("names the collection and reports no owner nor URI for an unknown model", async function () {
      const { registry } = await networkHelpers.loadFixture(modelFixture);
      expect(await registry.name()).to.equal("Veritas Model");
      expect(await registry.symbol()).to.equal("VMODEL");
      expect(await registry.modelOwner(0n)).to.equal(ZeroAddress);
      expect(await registry.modelOwner(2n)).to.equal(ZeroAddress);
      await expect(registry.tokenURI(2n))
        .to.be.revertedWithCustomError(registry, "ERC721NonexistentToken")
        .withArgs(2n);
      await expect(registry.versionsOf(2n)).to.be.revertedWithCustomError(registry, "UnknownModel").withArgs(2n);
      await expect(registry.versionsOf(0n)).to.be.revertedWithCustomError(registry, "UnknownModel").withArgs(0n);
    });
  });

  describe("publishVersion", function () {
    it("stores every field of a version and emits VersionPublished with all of them", async function () {
      const { registry, verifier, owner } = await networkHelpers.loadFixture(modelFixture);
      const verifierAddress = await verifier.getAddress();
      const codehash = keccak256(await ethers.provider.getCode(verifierAddress));
      expect(codehash).to.not.equal(ZeroHash);
      const p = versionParams({
        weightsDigest: id("w-1"),
        ioSchemaDigest: id("s-1"),
        artifactURI: "ar://artifact-1",
        royalty: 123_456n,
        minCollateral: 7n * 10n ** 18n,
        modes: TEE_BIT | ZK_BIT | OPTIMISTIC_BIT,
        zkVerifier: verifierAddress,
        teeMeasurements: [M1, M2],
      });

      expect(await registry.connect(owner).publishVersion.staticCall(1n, p)).to.equal(1n);
      const tx = registry.connect(owner).publishVersion(1n, p);
      await expect(tx)
        .to.emit(registry, "VersionPublished")
        .withArgs(
          1n,
          1n,
          id("w-1"),
          id("s-1"),
          "ar://artifact-1",
          123_456n,
          7n * 10n ** 18n,
          TEE_BIT | ZK_BIT | OPTIMISTIC_BIT,
          verifierAddress,
          codehash,
          [M1, M2],
        );
      const publishedAt = BigInt(await networkHelpers.time.latest());

      const v = await registry.getVersion(1n);
      expect(v.terms.modelId).to.equal(1n);
      expect(v.terms.royalty).to.equal(123_456n);
      expect(v.terms.minCollateral).to.equal(7n * 10n ** 18n);
      expect(v.terms.modes).to.equal(BigInt(TEE_BIT | ZK_BIT | OPTIMISTIC_BIT));
      expect(v.terms.deprecated).to.equal(false);
      expect(v.weightsDigest).to.equal(id("w-1"));
      expect(v.ioSchemaDigest).to.equal(id("s-1"));
      expect(v.zkVerifier).to.equal(verifierAddress);
      expect(v.publishedAt).to.equal(publishedAt);
      expect(v.zkVerifierCodehash).to.equal(codehash);
      expect(v.artifactURI).to.equal("ar://artifact-1");

      const t = await registry.versionTerms(1n);
      expect([t.modelId, t.royalty, t.minCollateral, t.modes, t.deprecated]).to.deep.equal([
        1n,
        123_456n,
        7n * 10n ** 18n,
        BigInt(TEE_BIT | ZK_BIT | OPTIMISTIC_BIT),
        false,
      ]);
      expect(await registry.zkVerifierOf(1n)).to.deep.equal([verifierAddress, codehash]);
      expect(await registry.weightsDigestOf(1n)).to.equal(id("w-1"));
      expect(await registry.teeMeasurementsOf(1n)).to.deep.equal([M1, M2]);
      expect(await registry.isTeeMeasurementAllowed(1n, M1)).to.equal(true);
      expect(await registry.isTeeMeasurementAllowed(1n, M2)).to.equal(true);
      expect(await registry.isTeeMeasurementAllowed(1n, id("measurement-3"))).to.equal(false);
      expect(await registry.isTeeMeasurementAllowed(1n, ZeroHash)).to.equal(false);
      expect(await registry.versionsOf(1n)).to.deep.equal([1n]);
      expect(await registry.versionCount()).to.equal(1n);
      expect(await registry.modelCount()).to.equal(1n);
      expect(await registry.modelOwner(1n)).to.equal(owner.address);
    });

    it("records the verifier's codehash at publication: a later code change does not alter it", async function () {
      const { registry, verifier } = await networkHelpers.loadFixture(versionsFixture);
      const verifierAddress = await verifier.getAddress();
      const original = keccak256(await ethers.provider.getCode(verifierAddress));
      const otherCode = await ethers.provider.getCode(await registry.getAddress());
      await networkHelpers.setCode(verifierAddress, otherCode);
      expect(keccak256(await ethers.provider.getCode(verifierAddress))).to.not.equal(original);
      expect(await registry.zkVerifierOf(2n)).to.deep.equal([verifierAddress, original]);
      expect((await registry.getVersion(2n)).zkVerifierCodehash).to.equal(original);
    });

    it("records no verifier and a zero codehash for a version without ZK, and no measurements without TEE", async function () {
      const { registry, verifier, owner } = await networkHelpers.loadFixture(modelFixture);
      await expect(registry.connect(owner).publishVersion(1n, versionParams({ teeMeasurements: [M1] })))
        .to.emit(registry, "VersionPublished")
        .withArgs(
          1n,
          1n,
          id("weights"),
          id("schema"),
          "ipfs://artifact",
          50_000n,
          100n * 10n ** 18n,
          TEE_BIT,
          ZeroAddress,
          ZeroHash,
          [M1],
        );
      expect(await registry.zkVerifierOf(1n)).to.deep.equal([ZeroAddress, ZeroHash]);

      const zkOnly = versionParams({ modes: ZK_BIT, zkVerifier: await verifier.getAddress(), teeMeasurements: [] });
      await registry.connect(owner).publishVersion(1n, zkOnly);
      expect(await registry.teeMeasurementsOf(2n)).to.deep.equal([]);
      expect(await registry.isTeeMeasurementAllowed(2n, M1)).to.equal(false);

      await registry.connect(owner).publishVersion(1n, versionParams({ modes: OPTIMISTIC_BIT, teeMeasurements: [] }));
      const v3 = await registry.getVersion(3n);
      expect(v3.terms.modes).to.equal(BigInt(OPTIMISTIC_BIT));
      expect(v3.zkVerifier).to.equal(ZeroAddress);
      expect(v3.zkVerifierCodehash).to.equal(ZeroHash);
      expect(await registry.teeMeasurementsOf(3n)).to.deep.equal([]);
    });

    it("accepts a zero I/O schema digest, an empty URI, zero and maximal uint96 royalty and collateral", async function () {
      const { registry, owner } = await networkHelpers.loadFixture(modelFixture);
      await registry
        .connect(owner)
        .publishVersion(
          1n,
          versionParams({ ioSchemaDigest: ZeroHash, artifactURI: "", royalty: 0n, minCollateral: 0n }),
        );
      await registry
        .connect(owner)
        .publishVersion(1n, versionParams({ royalty: UINT96_MAX, minCollateral: UINT96_MAX }));
      const v1 = await registry.getVersion(1n);
      expect([v1.ioSchemaDigest, v1.artifactURI, v1.terms.royalty, v1.terms.minCollateral]).to.deep.equal([
        ZeroHash,
        "",
        0n,
        0n,
      ]);
      const t2 = await registry.versionTerms(2n);
      expect([t2.royalty, t2.minCollateral, t2.modelId]).to.deep.equal([UINT96_MAX, UINT96_MAX, 1n]);
    });

    it("numbers versions globally across models and lists each model's versions in publication order", async function () {
      const { registry, owner, other } = await networkHelpers.loadFixture(modelFixture);
      await registry.connect(other).createModel("ipfs://model-2");
      await expect(registry.connect(owner).publishVersion(1n, versionParams({ weightsDigest: id("a") })))
        .to.emit(registry, "VersionPublished")
        .withArgs(
          1n,
          1n,
          id("a"),
          id("schema"),
          "ipfs://artifact",
          50_000n,
          100n * 10n ** 18n,
          TEE_BIT,
          ZeroAddress,
          ZeroHash,
          [id("measurement")],
        );
      await registry.connect(other).publishVersion(2n, versionParams({ weightsDigest: id("b") }));
      await registry.connect(owner).publishVersion(1n, versionParams({ weightsDigest: id("c") }));
      expect(await registry.versionsOf(1n)).to.deep.equal([1n, 3n]);
      expect(await registry.versionsOf(2n)).to.deep.equal([2n]);
      expect(await registry.versionCount()).to.equal(3n);
      expect((await registry.versionTerms(2n)).modelId).to.equal(2n);
      expect(await registry.weightsDigestOf(1n)).to.equal(id("a"));
      expect(await registry.weightsDigestOf(2n)).to.equal(id("b"));
      expect(await registry.weightsDigestOf(3n)).to.equal(id("c"));
      // Measurements are per version.
      expect(await registry.isTeeMeasurementAllowed(2n, id("measurement"))).to.equal(true);
      expect(await registry.isTeeMeasurementAllowed(4n, id("measurement"))).to.equal(false);
    });

    it("reverts with NotModelOwner for anyone but the model's owner", async function () {
      const { registry, other, deployer } = await networkHelpers.loadFixture(modelFixture);
      await expect(registry.connect(other).publishVersion(1n, versionParams()))
        .to.be.revertedWithCustomError(registry, "NotModelOwner")
        .withArgs(1n, other.address);
      await expect(registry.connect(deployer).publishVersion(1n, versionParams()))
        .to.be.revertedWithCustomError(registry, "NotModelOwner")
        .withArgs(1n, deployer.address);
    });

    it("reverts with UnknownModel for a model that was never created", async function () {
      const { registry, owner } = await networkHelpers.loadFixture(modelFixture);
      for (const modelId of [0n, 2n, 2n ** 48n + 1n]) {
        await expect(registry.connect(owner).publishVersion(modelId, versionParams()))
          .to.be.revertedWithCustomError(registry, "UnknownModel")
          .withArgs(modelId);
      }
    });

    it("reverts with ZeroWeightsDigest", async function () {
      const { registry, owner } = await networkHelpers.loadFixture(modelFixture);
      await expect(
        registry.connect(owner).publishVersion(1n, versionParams({ weightsDigest: ZeroHash })),
      ).to.be.revertedWithCustomError(registry, "ZeroWeightsDigest");
    });

    it("reverts with InvalidModes for an empty mask, bit 0, or a bit above MODE_OPTIMISTIC", async function () {
      const { registry, owner } = await networkHelpers.loadFixture(modelFixture);
      for (const modes of [0, 1, 1 | TEE_BIT, 1 << 4, 1 << 7, OPTIMISTIC_BIT | (1 << 4), 0xff]) {
        await expect(registry.connect(owner).publishVersion(1n, versionParams({ modes })))
          .to.be.revertedWithCustomError(registry, "InvalidModes")
          .withArgs(modes);
      }
    });

    it("reverts with InvalidZkVerifier for ZK without a verifier, a verifier without ZK, and a verifier with no code", async function () {
      const { registry, verifier, owner, other } = await networkHelpers.loadFixture(modelFixture);
      const verifierAddress = await verifier.getAddress();
      await expect(
        registry
          .connect(owner)
          .publishVersion(1n, versionParams({ modes: ZK_BIT, zkVerifier: ZeroAddress, teeMeasurements: [] })),
      )
        .to.be.revertedWithCustomError(registry, "InvalidZkVerifier")
        .withArgs(ZeroAddress);
      await expect(
        registry
          .connect(owner)
          .publishVersion(1n, versionParams({ modes: TEE_BIT | OPTIMISTIC_BIT, zkVerifier: verifierAddress })),
      )
        .to.be.revertedWithCustomError(registry, "InvalidZkVerifier")
        .withArgs(verifierAddress);
      await expect(
        registry
          .connect(owner)
          .publishVersion(1n, versionParams({ modes: ZK_BIT, zkVerifier: other.address, teeMeasurements: [] })),
      )
        .to.be.revertedWithCustomError(registry, "InvalidZkVerifier")
        .withArgs(other.address);
    });

    it("reverts with InvalidTeeMeasurements for TEE without measurements, measurements without TEE, a zero or a repeated measurement", async function () {
      const { registry, verifier, owner } = await networkHelpers.loadFixture(modelFixture);
      const cases = [
        versionParams({ modes: TEE_BIT, teeMeasurements: [] }),
        versionParams({ modes: OPTIMISTIC_BIT, teeMeasurements: [M1] }),
        versionParams({ modes: ZK_BIT, zkVerifier: await verifier.getAddress(), teeMeasurements: [M1] }),
        versionParams({ teeMeasurements: [ZeroHash] }),
        versionParams({ teeMeasurements: [M1, M2, ZeroHash] }),
        versionParams({ teeMeasurements: [M1, M2, M1] }),
      ];
      for (const p of cases) {
        await expect(registry.connect(owner).publishVersion(1n, p)).to.be.revertedWithCustomError(
          registry,
          "InvalidTeeMeasurements",
        );
      }
      expect(await registry.versionCount()).to.equal(0n);
    });
  });

  describe("deprecateVersion", function () {
    it("marks the version deprecated, emits VersionDeprecated and leaves everything else unchanged", async function () {
      const { registry, owner } = await networkHelpers.loadFixture(versionsFixture);
      const before = await registry.getVersion(2n);
      await expect(registry.connect(owner).deprecateVersion(2n))
        .to.emit(registry, "VersionDeprecated")
        .withArgs(2n, 1n);
      expect((await registry.versionTerms(2n)).deprecated).to.equal(true);
      expect((await registry.versionTerms(1n)).deprecated).to.equal(false);
      const after = await registry.getVersion(2n);
      expect(after.terms.deprecated).to.equal(true);
      expect([
        after.weightsDigest,
        after.zkVerifier,
        after.zkVerifierCodehash,
        after.publishedAt,
        after.artifactURI,
      ]).to.deep.equal([
        before.weightsDigest,
        before.zkVerifier,
        before.zkVerifierCodehash,
        before.publishedAt,
        before.artifactURI,
      ]);
      expect(await registry.isTeeMeasurementAllowed(2n, M1)).to.equal(true);
      expect(await registry.versionsOf(1n)).to.deep.equal([1n, 2n]);
      // The model can still publish new versions.
      await expect(registry.connect(owner).publishVersion(1n, versionParams())).to.emit(registry, "VersionPublished");
      expect(await registry.versionsOf(1n)).to.deep.equal([1n, 2n, 3n]);
    });

    it("reverts with VersionAlreadyDeprecated the second time", async function () {
      const { registry, owner } = await networkHelpers.loadFixture(versionsFixture);
      await registry.connect(owner).deprecateVersion(1n);
      await expect(registry.connect(owner).deprecateVersion(1n))
        .to.be.revertedWithCustomError(registry, "VersionAlreadyDeprecated")
        .withArgs(1n);
    });

    it("reverts with NotModelOwner for anyone but the owner", async function () {
      const { registry, other } = await networkHelpers.loadFixture(versionsFixture);
      await expect(registry.connect(other).deprecateVersion(1n))
        .to.be.revertedWithCustomError(registry, "NotModelOwner")
        .withArgs(1n, other.address);
    });

    it("reverts with UnknownVersion for a version that does not exist", async function () {
      const { registry, owner } = await networkHelpers.loadFixture(versionsFixture);
      for (const v of [0n, 3n]) {
        await expect(registry.connect(owner).deprecateVersion(v))
          .to.be.revertedWithCustomError(registry, "UnknownVersion")
          .withArgs(v);
      }
    });
  });

  describe("views of an unknown version", function () {
    it("revert with UnknownVersion (isTeeMeasurementAllowed answers false)", async function () {
      const { registry } = await networkHelpers.loadFixture(versionsFixture);
      for (const v of [0n, 3n, 2n ** 64n - 1n]) {
        await expect(registry.versionTerms(v)).to.be.revertedWithCustomError(registry, "UnknownVersion").withArgs(v);
        await expect(registry.getVersion(v)).to.be.revertedWithCustomError(registry, "UnknownVersion").withArgs(v);
        await expect(registry.zkVerifierOf(v)).to.be.revertedWithCustomError(registry, "UnknownVersion").withArgs(v);
        await expect(registry.weightsDigestOf(v)).to.be.revertedWithCustomError(registry, "UnknownVersion").withArgs(v);
        await expect(registry.teeMeasurementsOf(v))
          .to.be.revertedWithCustomError(registry, "UnknownVersion")
          .withArgs(v);
        expect(await registry.isTeeMeasurementAllowed(v, M1)).to.equal(false);
      }
    });
  });

  describe("ownership transfer", function () {
    it("moves the right to publish and deprecate with the token", async function () {
      const { registry, owner, other } = await networkHelpers.loadFixture(versionsFixture);
      await registry.connect(owner).transferFrom(owner.address, other.address, 1n);
      expect(await registry.modelOwner(1n)).to.equal(other.address);

      await expect(registry.connect(owner).publishVersion(1n, versionParams()))
        .to.be.revertedWithCustomError(registry, "NotModelOwner")
        .withArgs(1n, owner.address);
      await expect(registry.connect(owner).deprecateVersion(1n))
        .to.be.revertedWithCustomError(registry, "NotModelOwner")
        .withArgs(1n, owner.address);

      await expect(registry.connect(other).publishVersion(1n, versionParams()))
        .to.emit(registry, "VersionPublished")
        .withArgs(
          3n,
          1n,
          id("weights"),
          id("schema"),
          "ipfs://artifact",
          50_000n,
          100n * 10n ** 18n,
          TEE_BIT,
          ZeroAddress,
          ZeroHash,
          [id("measurement")],
        );
      await expect(registry.connect(other).deprecateVersion(1n))
        .to.emit(registry, "VersionDeprecated")
        .withArgs(1n, 1n);
      expect(await registry.versionsOf(1n)).to.deep.equal([1n, 2n, 3n]);
    });

    it("does not let an approved operator act as the owner", async function () {
      const { registry, owner, other, third } = await networkHelpers.loadFixture(versionsFixture);
      await registry.connect(owner).approve(other.address, 1n);
      await registry.connect(owner).setApprovalForAll(third.address, true);
      for (const s of [other, third]) {
        await expect(registry.connect(s).publishVersion(1n, versionParams()))
          .to.be.revertedWithCustomError(registry, "NotModelOwner")
          .withArgs(1n, s.address);
        await expect(registry.connect(s).deprecateVersion(1n))
          .to.be.revertedWithCustomError(registry, "NotModelOwner")
          .withArgs(1n, s.address);
      }
    });
  });
});
