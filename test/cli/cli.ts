import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import hre, { network } from "hardhat";
import { id, toUtf8Bytes, hexlify, Wallet } from "ethers";
import { JobStatus, Mode, modeBit } from "../helpers/constants.js";
import { deploySuite, LOCAL_PARAMS, type Suite } from "../../deploy/suite.js";
import { claimOf, toJob, type Job } from "../../src/jobs.js";
import { attestationDomain, signAttestation, SimulatedEnclave, teeResultDomain } from "../../src/tee.js";
import { veritasCli } from "../helpers/cli.js";

// The CLI's tasks use `hre.network.getOrCreate()`: the same in-process chain as this connection.
const { ethers, networkHelpers } = await network.getOrCreate();

describe("veritas CLI (Hardhat tasks, in-process network)", function () {
  this.timeout(60_000);
  let s: Suite;
  let deployment: string;
  const [DEPLOYER, GOVERNANCE, TREASURY, MODEL_OWNER, OPERATOR, REQUESTER] = [0, 1, 2, 3, 4, 5];
  let signers: Awaited<ReturnType<typeof ethers.getSigners>>;
  const measurement = id("cli-test-enclave-image");
  const service = new Wallet(id("cli-test-attestation-service"));
  const enclave = new SimulatedEnclave(measurement, new Wallet(id("cli-test-enclave-key")));
  let jobId: bigint;
  let job: Job;

  const { start, veritas, value, failure } = veritasCli(hre, () => deployment);
  async function until(what: string, ok: () => boolean) {
    const deadline = Date.now() + 10_000;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  before(async function () {
    signers = await ethers.getSigners();
    s = await deploySuite(
      ethers,
      signers[DEPLOYER],
      LOCAL_PARAMS(signers[GOVERNANCE].address, signers[TREASURY].address, signers[DEPLOYER].address),
    );
    await s.tee.connect(signers[GOVERNANCE]).approveMeasurement(measurement, "cli test");
    await s.attestation.connect(signers[GOVERNANCE]).setAttestationSigner(service.address, true);
    const contracts: Record<string, string> = {};
    for (const [name, c] of Object.entries(s)) contracts[name === "usd" ? "paymentToken" : name] = await c.getAddress();
    deployment = path.join(mkdtempSync(path.join(tmpdir(), "veritas-cli-")), "deployment.json");
    writeFileSync(deployment, JSON.stringify({ chainId: 31337, network: "default", deployedAtBlock: 0, contracts }));
  });

  it("register-model mints the model token to the signer", async function () {
    const r = await veritas("register-model", { metadataUri: "ipfs://model-card", account: String(MODEL_OWNER) });
    expect(value(r).modelId).to.equal(1n);
    expect(await s.registry.ownerOf(1n)).to.equal(signers[MODEL_OWNER].address);
    expect(r.out).to.contain(`Model 1 created, owner ${signers[MODEL_OWNER].address}`);
  });

  it("publish-version records the version in token units, and prints a revert as its custom error", async function () {
    const args = {
      account: String(MODEL_OWNER),
      modelId: 1n,
      weightsDigest: id("weights"),
      artifactUri: "ipfs://mlp.onnx",
      royalty: "0.05",
      minCollateral: "100",
      modes: "tee",
      measurements: measurement,
    };
    const r = await veritas("publish-version", args);
    expect(value(r).versionId).to.equal(1n);
    const v = await s.registry.getVersion(1n);
    expect(v.terms.royalty).to.equal(50_000n); // 0.05 of a 6-decimal token
    expect(v.terms.minCollateral).to.equal(100n * 10n ** 18n);
    expect(v.terms.modes).to.equal(BigInt(modeBit(Mode.TEE)));
    expect(await s.registry.teeMeasurementsOf(1n)).to.deep.equal([measurement]);

    const notOwner = await veritas("publish-version", { ...args, account: String(REQUESTER) });
    expect(failure(notOwner)).to.deep.include({
      name: "NotModelOwner",
      args: { modelId: 1n, caller: signers[REQUESTER].address },
    });
    expect(notOwner.err).to.equal(`Reverted: NotModelOwner(modelId=1, caller=${signers[REQUESTER].address})`);
    expect(failure(notOwner).code).to.equal("CONTRACT_REVERT");
  });

  it("register-node registers the signer with its capabilities", async function () {
    const r = await veritas("register-node", {
      account: String(OPERATOR),
      endpoint: "https://node.example",
      capabilities: "tee",
    });
    expect(r.result.success).to.equal(true);
    const node = await s.staking.getNode(signers[OPERATOR].address);
    expect(node.registered).to.equal(true);
    expect(node.capabilities).to.equal(BigInt(modeBit(Mode.TEE)));
    expect(await s.staking.endpointOf(signers[OPERATOR].address)).to.equal("https://node.example");
  });

  it("stake approves and stakes whole-token amounts; a short balance reverts with the token's error", async function () {
    await s.token.connect(signers[DEPLOYER]).transfer(signers[OPERATOR].address, 20_000n * 10n ** 18n);
    const r = await veritas("stake", { account: String(OPERATOR), amount: "10000" });
    expect(value(r).staked).to.equal(10_000n * 10n ** 18n);
    expect((await s.staking.getNode(signers[OPERATOR].address)).staked).to.equal(10_000n * 10n ** 18n);
    expect(r.out).to.contain("Staked 10000.0 VRT");

    const tooMuch = await veritas("stake", { account: String(OPERATOR), amount: "50000" });
    expect(failure(tooMuch).name).to.equal("ERC20InsufficientBalance");
    expect(tooMuch.err).to.equal(
      `Reverted: ERC20InsufficientBalance(sender=${signers[OPERATOR].address}, balance=${10_000n * 10n ** 18n}, needed=${50_000n * 10n ** 18n})`,
    );
  });

  it("register-enclave registers an attested key (attestation as hex); an unapproved measurement is refused", async function () {
    const operator = signers[OPERATOR].address;
    const chainId = (await ethers.provider.getNetwork()).chainId;
    const expiresAt = BigInt(await networkHelpers.time.latest()) + 30n * 86_400n;
    const domain = attestationDomain(chainId, await s.attestation.getAddress());
    const attestation = await signAttestation(
      service,
      domain,
      await s.tee.getAddress(),
      operator,
      enclave.address,
      measurement,
      expiresAt,
    );
    const r = await veritas("register-enclave", {
      account: String(OPERATOR),
      key: enclave.address,
      measurement,
      expiresAt,
      attestation,
    });
    expect(value(r).active).to.equal(true);
    expect(await s.tee.isActiveKey(enclave.address, operator)).to.equal(true);

    const other = id("unapproved-image");
    const bad = await veritas("register-enclave", {
      account: String(OPERATOR),
      key: Wallet.createRandom().address,
      measurement: other,
      expiresAt,
      attestation,
    });
    expect(bad.err).to.equal(`Reverted: MeasurementNotApproved(measurement=${other})`);
  });

  it("request reports InsufficientBalance without a deposit, then deposits and requests (balance and transfer)", async function () {
    const requester = signers[REQUESTER].address;
    await s.usd.mint(requester, 10_000_000n);
    const base = {
      account: String(REQUESTER),
      versionId: 1n,
      payment: "1",
      input: "[1,2,3,4,5,6,7,8]",
      inputUri: "data:,[1,2,3,4,5,6,7,8]",
    };
    const broke = await veritas("request", base);
    expect(failure(broke)).to.deep.include({
      name: "InsufficientBalance",
      args: { account: requester, balance: 0n, needed: 1_000_000n },
    });
    expect(broke.err).to.equal(`Reverted: InsufficientBalance(account=${requester}, balance=0, needed=1000000)`);

    const r = await veritas("request", { ...base, deposit: "5" });
    ({ jobId, job } = value(r) as { jobId: bigint; job: Job });
    expect(await s.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
    expect(job.inputDigest).to.equal(ethers.keccak256(toUtf8Bytes(base.input)));
    expect(await s.escrow.balanceOf(requester)).to.equal(4_000_000n);
    expect(r.out).to.contain(`Job ${jobId} requested`);

    const before = await s.usd.balanceOf(requester);
    const paid = value(await veritas("request", { ...base, pay: "transfer" }));
    expect(await s.escrow.jobStatus(paid.jobId as bigint)).to.equal(JobStatus.Open);
    expect(await s.usd.balanceOf(requester)).to.equal(before - 1_000_000n);
    expect(await s.escrow.balanceOf(requester)).to.equal(4_000_000n);
  });

  it("watch follows the job through its claim until it settles, and prints the output", async function () {
    const watching = start("watch", { jobId: jobId.toString(), interval: 20n, timeout: 30n });
    await until("the watch to see the job open", () => watching.out.length >= 1);
    const operator = signers[OPERATOR];
    const escrow = s.escrow.connect(operator);
    const claim = claimOf(s.escrow, (await (await escrow.claim(job)).wait())!.logs);
    await until("the watch to see the claim", () => watching.out.length >= 2);
    const output = hexlify(toUtf8Bytes("label=1"));
    const chainId = (await ethers.provider.getNetwork()).chainId;
    const sig = await enclave.signResult(
      teeResultDomain(chainId, await s.teeVerifier.getAddress()),
      await s.escrow.getAddress(),
      job,
      output,
    );
    await (await escrow.submitResult(job, claim, output, sig)).wait();
    const r = await watching.done;
    expect(value(r)).to.deep.include({ status: "Settled", output, node: operator.address });
    const lines = r.out.split("\n");
    expect(lines[0]).to.equal(`Job ${jobId}: Open`);
    expect(lines[1]).to.equal(`Job ${jobId}: Claimed by ${operator.address}, deliver by ${claim.deliverBy}`);
    expect(lines[2]).to.equal(`Job ${jobId}: Settled`);
    expect(lines[3]).to.equal(`Output: ${output} ("label=1")`);
    expect(lines[5]).to.match(
      new RegExp(`^Verified: TEE: signed by enclave key ${enclave.address} \\(measurement ${measurement}`),
    );
  });

  it("request --wait waits for the verified result and prints it with the enclave key that signed it", async function () {
    const requesting = start("request", {
      account: String(REQUESTER),
      versionId: 1n,
      payment: "1",
      input: "[8,7,6,5,4,3,2,1]",
      inputUri: "data:,[8,7,6,5,4,3,2,1]",
      wait: true,
      timeout: 30n,
    });
    await until("the request", () => requesting.out.some((l) => l.startsWith("Waiting")));
    const [requested] = (await s.escrow.queryFilter(s.escrow.filters.JobRequested())).slice(-1);
    const waitedJob = toJob(requested.args.job as never);
    const operator = signers[OPERATOR];
    const escrow = s.escrow.connect(operator);
    const claim = claimOf(s.escrow, (await (await escrow.claim(waitedJob)).wait())!.logs);
    const output = hexlify(toUtf8Bytes("label=2"));
    const chainId = (await ethers.provider.getNetwork()).chainId;
    const domain = teeResultDomain(chainId, await s.teeVerifier.getAddress());
    const sig = await enclave.signResult(domain, await s.escrow.getAddress(), waitedJob, output);
    const settled = await (await escrow.submitResult(waitedJob, claim, output, sig)).wait();
    const r = await requesting.done;
    const result = value(r).result as { output: string; verification: { enclaveKey: string } };
    expect(result.output).to.equal(output);
    expect(result.verification.enclaveKey).to.equal(enclave.address);
    const lines = r.out.split("\n");
    expect(lines).to.include(`Output: ${output} ("label=2")`);
    expect(lines.find((l) => l.startsWith("Verified (TEE): "))).to.contain(
      `signed by enclave key ${enclave.address} (measurement ${measurement}, attestation tx 0x`,
    );
    expect(lines.find((l) => l.startsWith("Verified (TEE): "))).to.contain(`settled in tx ${settled!.hash}`);
  });

  it("withdraw pays the node's earnings out of the escrow", async function () {
    const operator = signers[OPERATOR].address;
    const earned = await s.escrow.balanceOf(operator);
    expect(earned).to.equal(2n * (1_000_000n - 50_000n - 25_000n)); // two jobs: payment - royalty - 2.5 % fee
    const r = await veritas("withdraw", { account: String(OPERATOR) });
    expect(value(r).amount).to.equal(earned);
    expect(await s.escrow.balanceOf(operator)).to.equal(0n);
    expect(await s.usd.balanceOf(operator)).to.equal(earned);
    const again = await veritas("withdraw", { account: String(OPERATOR), amount: "1" });
    expect(again.err).to.equal(`Reverted: InsufficientBalance(account=${operator}, balance=0, needed=1000000)`);
  });

  it("unstake starts the thaw; withdraw-stake refuses before its end and pays out after it", async function () {
    const operator = signers[OPERATOR].address;
    const r = await veritas("unstake", { account: String(OPERATOR), amount: "1000" });
    const node = await s.staking.getNode(operator);
    expect(node.thawing).to.equal(1_000n * 10n ** 18n);
    expect(value(r).thawEnd).to.equal(node.thawEnd);

    const early = await veritas("withdraw-stake", { account: String(OPERATOR) });
    expect(early.err).to.equal(`Reverted: StakeStillThawing(node=${operator}, thawEnd=${node.thawEnd})`);

    await networkHelpers.time.increaseTo(node.thawEnd);
    const before = await s.token.balanceOf(operator);
    const done = await veritas("withdraw-stake", { account: String(OPERATOR) });
    expect(value(done).amount).to.equal(1_000n * 10n ** 18n);
    expect(await s.token.balanceOf(operator)).to.equal(before + 1_000n * 10n ** 18n);
    expect((await s.staking.getNode(operator)).thawing).to.equal(0n);
  });

  it("usage errors are reported without a transaction", async function () {
    const r = await veritas("request", { account: String(REQUESTER), versionId: 1n, payment: "1" });
    expect(failure(r)).to.deep.include({ name: "UsageError" });
    expect(r.err).to.equal("Error: give --input or --input-digest");
    const missing = await veritas("stake", { deployment: "/nonexistent/deployment.json", amount: "1" });
    expect(missing.err).to.contain("no deployment record at /nonexistent/deployment.json");
    // A number is a mask of modes, and must be one (bit 0 is no mode): refused before anything is sent.
    const nodes = await veritas("register-node", { account: String(REQUESTER), endpoint: "x", capabilities: "3" });
    expect(failure(nodes).name).to.equal("UsageError");
    expect(failure(nodes)).to.not.have.property("code"); // not a client error
    expect(nodes.err).to.equal(
      "Error: 3 is not a mask of modes: use tee, zk or optimistic (or the sum of their bits: tee 2, zk 4, optimistic 8)",
    );
    expect((await s.staking.getNode(signers[REQUESTER].address)).registered).to.equal(false);
  });

  it("watch ends with the job's error code: still open at --timeout, past its final deadline, expired", async function () {
    const { jobId: id, job: j } = value(
      await veritas("request", { account: String(REQUESTER), versionId: 1n, payment: "1", input: "late" }),
    ) as { jobId: bigint; job: Job };
    const open = await veritas("watch", { jobId: id.toString(), interval: 10n, timeout: 0n });
    expect(failure(open)).to.deep.include({ name: "VeritasJobError", code: "TIMEOUT" });
    expect(open.err).to.equal(`Error [TIMEOUT]: job ${id} still Open after 0 s`);

    await networkHelpers.time.increaseTo(j.expiresAt);
    const late = await veritas("watch", { jobId: id.toString(), interval: 10n, timeout: 30n });
    expect(failure(late).code).to.equal("PAST_DEADLINE");
    expect(late.err).to.equal(
      `Error [PAST_DEADLINE]: job ${id} reached its final deadline (${j.expiresAt}) without a result: it can only be expired now`,
    );

    await (await s.escrow.expire(j)).wait();
    const expired = await veritas("watch", { jobId: id.toString(), interval: 10n, timeout: 30n });
    expect(failure(expired).code).to.equal("JOB_EXPIRED");
    expect(expired.err).to.equal(`Error [JOB_EXPIRED]: job ${id} ended Expired, refund 1000000`);
  });
});
