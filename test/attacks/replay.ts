import { expect } from "chai";
import { network } from "hardhat";
import { JobStatus } from "../helpers/constants.js";
import { NO_CLAIM } from "../../src/jobs.js";
import { recoveredKey, split } from "../helpers/escrow.js";
import { OUTPUT } from "../helpers/attacks.js";
import { deployTeeFixture, type TeeFixture } from "../helpers/fixtures.js";
import { teeResultDomain } from "../../src/tee.js";

const { ethers, networkHelpers } = await network.create();
const teeFixture = () => deployTeeFixture(ethers, networkHelpers);
/** Two deployments of the whole suite on one chain, the same nodes and enclave keys registered in both. */
async function twoDeployments() {
  const a = await deployTeeFixture(ethers, networkHelpers);
  const b = await deployTeeFixture(ethers, networkHelpers);
  return { a, b };
}

/**
 * A TEE result signature is EIP-712 over (escrow, job id, version, input, output) in the domain of (chain id, TEE
 * result verifier): it cannot be replayed on another job, chain or deployment. The ZK counterparts (a proof bound to
 * job, requester, node, chain and escrow) are in zk-proofs.ts; attestation replay in TeeRegistry.ts.
 */
describe("attacks: signature replay", function () {
  let f: TeeFixture;
  let escrowAddr: string;
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(teeFixture);
    escrowAddr = await f.escrow.getAddress();
  });

  it("signature replay across jobs: a TEE result signature for one job is refused for another job on the same input", async function () {
    const a = await f.request();
    const b = await f.request(); // same version, same input digest, another job id
    const sigA = await f.enclave.signResult(f.teeDomain, escrowAddr, a.job, OUTPUT);
    await f.escrow.connect(f.node).submitResult(a.job, NO_CLAIM, OUTPUT, sigA);
    await expect(f.escrow.connect(f.node).submitResult(b.job, NO_CLAIM, OUTPUT, sigA)).to.be.revertedWithCustomError(
      f.tee,
      "UnknownEnclaveKey",
    );
    expect(await f.escrow.jobStatus(b.jobId)).to.equal(JobStatus.Open);
  });

  it("signature replay across chains: a TEE result signed in another chain's domain is refused (UnknownEnclaveKey)", async function () {
    const { jobId, job } = await f.request();
    const foreign = teeResultDomain(f.chainId + 1n, await f.teeVerifier.getAddress());
    const sig = await f.enclave.signResult(foreign, escrowAddr, job, OUTPUT);
    await expect(f.escrow.connect(f.node).submitResult(job, NO_CLAIM, OUTPUT, sig))
      .to.be.revertedWithCustomError(f.tee, "UnknownEnclaveKey")
      .withArgs(recoveredKey(f.teeDomain, escrowAddr, job, OUTPUT, sig));
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
    // Signed for this chain, the same job settles.
    await f.escrow
      .connect(f.node)
      .submitResult(job, NO_CLAIM, OUTPUT, await f.enclave.signResult(f.teeDomain, escrowAddr, job, OUTPUT));
    expect(await f.escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
  });

  it("signature replay across deployments: a result settled on one deployment is refused by another with the same job id, input and key", async function () {
    const { a, b } = await networkHelpers.loadFixture(twoDeployments);
    const onA = await a.request();
    const onB = await b.request();
    // Same requester, same nonce, same version and input: the same job id on both deployments.
    expect(onB.jobId).to.equal(onA.jobId);
    expect((await b.tee.getEnclaveKey(a.enclave.address)).node).to.equal(a.node.address);
    const escrowA = await a.escrow.getAddress();
    const sig = await a.enclave.signResult(a.teeDomain, escrowA, onA.job, OUTPUT);
    await a.escrow.connect(a.node).submitResult(onA.job, NO_CLAIM, OUTPUT, sig);
    expect(await a.escrow.balanceOf(a.node.address)).to.equal(split(onA.job).nodeFee);
    await expect(b.escrow.connect(b.node).submitResult(onB.job, NO_CLAIM, OUTPUT, sig))
      .to.be.revertedWithCustomError(b.tee, "UnknownEnclaveKey")
      .withArgs(recoveredKey(b.teeDomain, await b.escrow.getAddress(), onB.job, OUTPUT, sig));
    expect(await b.escrow.jobStatus(onB.jobId)).to.equal(JobStatus.Open);
    expect(await b.escrow.balanceOf(b.node.address)).to.equal(0n);
  });
});
