import { expect } from "chai";
import { network } from "hardhat";
import { id, Wallet } from "ethers";
import { JobStatus, Mode } from "../helpers/constants.js";
import { NO_CLAIM } from "../../src/jobs.js";
import { SimulatedEnclave } from "../../src/tee.js";
import { OUTPUT } from "../helpers/attacks.js";
import { deployTeeFixture, registerEnclave, type TeeFixture } from "../helpers/fixtures.js";
import { versionParams } from "../helpers/versions.js";

const { ethers, networkHelpers } = await network.create();
const M2 = id("veritas-enclave-image-v2");

/** The TEE fixture, plus an approved second enclave image M2 and a key of `node` running it. */
async function fixture() {
  const f = await deployTeeFixture(ethers, networkHelpers);
  await f.tee.connect(f.governance).approveMeasurement(M2, "image v2");
  const enclaveM2 = new SimulatedEnclave(M2, new Wallet(id("enclave-m2")));
  await registerEnclave(f, f.attestationService, f.node, enclaveM2);
  return { ...f, enclaveM2 };
}

/**
 * What verifies a job is fixed when it is requested: the escrow's per-mode result verifiers are immutable, the job
 * commits to its version, and a version's ZK verifier (address and code hash, see zk-proofs.ts) and TEE measurements
 * are fixed at publication. A model owner can only publish a new version, which binds new jobs only.
 */
describe("attacks: verifier swapped after publication", function () {
  let f: TeeFixture & { enclaveM2: SimulatedEnclave };
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
  });

  it("verifier swapped after publication: the escrow has no way to change its result verifiers", async function () {
    const setters = f.escrow.interface.fragments
      .filter((x) => x.type === "function")
      .map((x) => (x as unknown as { name: string }).name)
      .filter((n) => /verifier/i.test(n));
    expect(setters).to.deep.equal(["verifierOf"]);
    expect(await f.escrow.verifierOf(Mode.TEE)).to.equal(await f.teeVerifier.getAddress());
    const registrySetters = f.registry.interface.fragments
      .filter((x) => x.type === "function")
      .map((x) => (x as unknown as { name: string }).name)
      .filter((n) => /verifier|measurement/i.test(n));
    // Views only: nothing changes a published version's verifier or measurements.
    expect(registrySetters.sort()).to.deep.equal(["isTeeMeasurementAllowed", "teeMeasurementsOf", "zkVerifierOf"]);
  });

  it("verifier swapped after publication: a new version allowing another enclave image does not apply to jobs of the old one", async function () {
    const { jobId, job } = await f.request();
    // The model owner publishes version 2, whose only measurement is M2.
    await f.registry.connect(f.modelOwner).publishVersion(f.modelId, versionParams({ teeMeasurements: [M2] }));
    const v2 = await f.registry.versionCount();
    expect(await f.registry.isTeeMeasurementAllowed(v2, M2)).to.equal(true);
    expect(await f.registry.isTeeMeasurementAllowed(job.versionId, M2)).to.equal(false);
    const escrowAddr = await f.escrow.getAddress();
    // A result from the M2 enclave is refused for the version-1 job...
    const sig = await f.enclaveM2.signResult(f.teeDomain, escrowAddr, job, OUTPUT);
    await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, OUTPUT, sig))
      .to.be.revertedWithCustomError(f.teeVerifier, "MeasurementNotAllowed")
      .withArgs(job.versionId, M2);
    // ...and the job cannot be re-pointed at version 2: it commits to its version.
    const repointed = { ...job, versionId: v2 };
    const sig2 = await f.enclaveM2.signResult(f.teeDomain, escrowAddr, repointed, OUTPUT);
    await expect(f.escrow.connect(f.node).submitResult(repointed, NO_CLAIM, OUTPUT, sig2))
      .to.be.revertedWithCustomError(f.escrow, "JobMismatch")
      .withArgs(jobId);
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
    // The version's own image still settles it.
    await f.escrow
      .connect(f.node)
      .submitResult(job, NO_CLAIM, OUTPUT, await f.enclave.signResult(f.teeDomain, escrowAddr, job, OUTPUT));
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
  });
});
