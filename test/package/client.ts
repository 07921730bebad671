import { expect } from "chai";
import { network } from "hardhat";
import { AbiCoder, hexlify, Interface, keccak256, toUtf8Bytes, ZeroAddress } from "ethers";
import { VeritasClient, VeritasJobError, type InferenceResult } from "../../src/client.js";
import { DEFAULT_DELIVERY_WINDOW_SECONDS, DEFAULT_REQUEST_TTL_SECONDS, JobStatus } from "../../src/constants.js";
import { deploymentsDirectory } from "../../src/deployments.js";
import { decodeVeritasError, findRevertData, veritasAbis, VeritasError, VeritasRevertError } from "../../src/errors.js";
import { claimOf } from "../../src/jobs.js";
import { PAYMENT, USD, type TeeFixture } from "../helpers/fixtures.js";
import { expectTeeVerification } from "../helpers/verification.js";
import { deployClientFixture, rejection } from "../helpers/client.js";

const { ethers, networkHelpers } = await network.create();

/** The message a promise rejects with (fails if it resolves). */
const message = async (p: Promise<unknown>): Promise<string> => (await rejection(p)).message;

const fixture = () => deployClientFixture(ethers, networkHelpers);

describe("VeritasClient and decodeVeritasError (in-process chain)", function () {
  let f: TeeFixture & { client: VeritasClient; addresses: { escrow: string } };
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
  });

  /** The node serves a job: claim, sign the output with its enclave key, submit. */
  async function serve(jobId: bigint, output = hexlify(toUtf8Bytes("label=1"))) {
    const { job } = await f.client.getJob(jobId);
    const escrow = f.escrow.connect(f.node);
    const claim = claimOf(f.escrow, (await (await escrow.claim(job)).wait())!.logs);
    const sig = await f.enclave.signResult(f.teeDomain, f.addresses.escrow, job, output);
    await (await escrow.submitResult(job, claim, output, sig)).wait();
    return output;
  }

  describe("decodeVeritasError", function () {
    it("decodes a revert thrown by a Hardhat/ethers call into the custom error's name and named arguments", async function () {
      const err = await f.escrow
        .connect(f.other)
        .requestInference({
          versionId: 1n,
          mode: 1,
          node: ZeroAddress,
          payment: PAYMENT,
          deliveryWindow: 600n,
          expiresAt: BigInt(await networkHelpers.time.latest()) + 3600n,
          callbackGasLimit: 0n,
          inputDigest: keccak256("0x01"),
          inputURI: "",
        })
        .catch((e: unknown) => e);
      const d = decodeVeritasError(err)!;
      expect(d.name).to.equal("InsufficientBalance");
      expect(d.args).to.deep.equal({ account: f.other.address, balance: 0n, needed: PAYMENT });
      expect(d.signature).to.equal("InsufficientBalance(address,uint256,uint256)");
      expect(d.message).to.equal(`InsufficientBalance(account=${f.other.address}, balance=0, needed=${PAYMENT})`);
    });

    it("decodes view-call reverts, enum arguments by name, and errors of every contract", async function () {
      expect(decodeVeritasError(await f.registry.getVersion(99n).catch((e: unknown) => e))?.message).to.equal(
        "UnknownVersion(versionId=99)",
      );
      const { jobId, job } = await f.request();
      await f.escrow.connect(f.node).claim(job);
      const twice = await f.escrow
        .connect(f.node2)
        .claim(job)
        .catch((e: unknown) => e);
      expect(decodeVeritasError(twice)?.message).to.equal(
        `InvalidJobStatus(jobId=${jobId}, status=2 (Claimed), expected=1 (Open))`,
      );
      const thaw = await f.staking
        .connect(f.node)
        .withdrawStake(f.node.address)
        .catch((e: unknown) => e);
      expect(decodeVeritasError(thaw)?.name).to.equal("NothingThawing");
    });

    it("finds revert data in the shapes JSON-RPC clients nest it in, never in a transaction's calldata", function () {
      const data = new Interface(veritasAbis().NodeStaking).encodeErrorResult("CollateralLocked", [
        f.node.address,
        5n,
        7n,
      ]);
      const expected = `CollateralLocked(node=${f.node.address}, remaining=5, locked=7)`;
      for (const shape of [
        data,
        { data },
        { error: { data } },
        { info: { error: { code: 3, message: "execution reverted", data } } },
        { cause: { error: { data: { message: "reverted", data } } } },
        new Error(`execution reverted (action="estimateGas", data="${data}", reason=null)`),
        { shortMessage: "x", errors: [{}, { data }] },
      ]) {
        expect(decodeVeritasError(shape)?.message, JSON.stringify(shape)).to.equal(expected);
      }
      expect(findRevertData({ transaction: { data }, message: "no revert data" })).to.equal(undefined);
      expect(decodeVeritasError(new Error("network down"))).to.equal(undefined);
      expect(decodeVeritasError("0xdeadbeef")).to.equal(undefined); // not a Veritas error
      const wrapped = new VeritasRevertError(decodeVeritasError(data)!);
      expect(decodeVeritasError(wrapped)?.message).to.equal(expected);
    });

    it("decodes Error(string) and Panic(uint256), and no two Veritas errors share a selector", function () {
      const reason = "0x08c379a0" + AbiCoder.defaultAbiCoder().encode(["string"], ["no way"]).slice(2);
      expect(decodeVeritasError(reason)?.message).to.equal('Error("no way")');
      const panic = "0x4e487b71" + AbiCoder.defaultAbiCoder().encode(["uint256"], [0x11]).slice(2);
      expect(decodeVeritasError(panic)?.message).to.equal("Panic(0x11 (arithmetic overflow or underflow))");
      const seen = new Map<string, string>();
      for (const abi of Object.values(veritasAbis())) {
        new Interface(abi).forEachError((e) => {
          expect(seen.get(e.selector) ?? e.format(), e.selector).to.equal(e.format());
          seen.set(e.selector, e.format());
        });
      }
      expect(seen.size).to.be.greaterThan(60);
    });
  });

  describe("VeritasClient", function () {
    it("requests with the documented defaults, paid from the balance or by transfer", async function () {
      const latest = BigInt(await networkHelpers.time.latest());
      const before = await f.client.balanceOf();
      const r = await f.client.requestInference({
        versionId: f.versionId,
        payment: PAYMENT,
        input: "[1,2]",
        inputURI: "ipfs://in",
      });
      expect(r.job).to.deep.include({
        requester: f.requester.address,
        versionId: f.versionId,
        mode: 1n,
        node: ZeroAddress,
        payment: PAYMENT,
        deliveryWindow: BigInt(DEFAULT_DELIVERY_WINDOW_SECONDS),
        inputDigest: keccak256(toUtf8Bytes("[1,2]")),
      });
      expect(r.job.expiresAt).to.be.within(
        latest + BigInt(DEFAULT_REQUEST_TTL_SECONDS),
        latest + BigInt(DEFAULT_REQUEST_TTL_SECONDS) + 2n,
      );
      expect(r.inputURI).to.equal("ipfs://in");
      expect(await f.client.balanceOf()).to.equal(before - PAYMENT);

      const tokens = await f.usd.balanceOf(f.requester.address);
      const t = await f.client.requestInference(
        { versionId: f.versionId, payment: PAYMENT, inputDigest: keccak256("0x02") },
        { pay: "transfer" },
      );
      expect(await f.escrow.jobStatus(t.jobId)).to.equal(JobStatus.Open);
      expect(await f.usd.balanceOf(f.requester.address)).to.equal(tokens - PAYMENT);
      expect(await f.client.balanceOf()).to.equal(before - PAYMENT);
    });

    it("deposits (approving as needed) and withdraws the whole balance by default", async function () {
      const c = f.client.connectSigner(f.other);
      await f.usd.connect(f.other).approve(f.addresses.escrow, 0n);
      await c.deposit(USD(3));
      expect(await c.balanceOf()).to.equal(USD(3));
      await c.withdraw();
      expect(await c.balanceOf()).to.equal(0n);
      expect(await f.usd.balanceOf(f.other.address)).to.equal(USD(1_000));
    });

    it("throws reverts as a VeritasError carrying the decoded custom error", async function () {
      const c = f.client.connectSigner(f.other);
      const err = await c
        .requestInference({ versionId: f.versionId, payment: PAYMENT, input: "x" })
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(VeritasError);
      expect(err).to.be.instanceOf(VeritasRevertError);
      expect((err as VeritasRevertError).code).to.equal("CONTRACT_REVERT");
      expect((err as VeritasRevertError).errorName).to.equal("InsufficientBalance");
      expect((err as VeritasRevertError).args).to.deep.equal({
        account: f.other.address,
        balance: 0n,
        needed: PAYMENT,
      });
      expect((err as VeritasRevertError).message).to.equal(
        `InsufficientBalance(account=${f.other.address}, balance=0, needed=${PAYMENT})`,
      );
      const deprecated = await f.client
        .requestInference({ versionId: 7n, payment: PAYMENT, input: "x" })
        .catch((e: unknown) => e);
      expect((deprecated as VeritasError).message).to.equal("UnknownVersion(versionId=7)");
    });

    it("waitForResult resolves with the settled output; getJob follows Open, Claimed, Settled", async function () {
      const { jobId } = await f.client.requestInference({ versionId: f.versionId, payment: PAYMENT, input: "in" });
      const open = await f.client.getJob(jobId);
      expect(open).to.deep.include({ status: "Open", statusCode: 1, claim: null, result: null, refund: null });
      const waiting = f.client.waitForResult(jobId, { timeout: 10_000 });
      const { job } = open;
      const claim = claimOf(f.escrow, (await (await f.escrow.connect(f.node).claim(job)).wait())!.logs);
      const claimed = await f.client.getJob(jobId);
      expect(claimed.status).to.equal("Claimed");
      expect(claimed.claim).to.deep.equal(claim);
      const output = hexlify(toUtf8Bytes("label=2"));
      const sig = await f.enclave.signResult(f.teeDomain, f.addresses.escrow, job, output);
      await (await f.escrow.connect(f.node).submitResult(job, claim, output, sig)).wait();
      const result: InferenceResult = await waiting;
      expect(result).to.deep.include({
        jobId,
        node: f.node.address,
        output,
        outputHash: keccak256(output),
        royalty: 50_000n,
        protocolFee: 25_000n,
        nodeFee: 925_000n,
      });
      const settled = await f.client.getJob(jobId);
      expect(settled.status).to.equal("Settled");
      expect(settled.result).to.deep.equal(result);
      // A fresh read-only client finds the job from the events alone.
      const reader = await VeritasClient.connect(ethers.provider, { addresses: f.addresses });
      expect((await reader.getJob(jobId)).job).to.deep.equal(job);
      expect(await reader.waitForResult(jobId)).to.deep.equal(result);
      const readOnly = (await reader
        .requestInference({ versionId: 1n, payment: 1n, input: "" })
        .catch((e: unknown) => e)) as VeritasError;
      expect(readOnly.message).to.contain("connected with a Provider only");
      expect(readOnly.code).to.equal("NO_SIGNER");
    });

    it("requestAndWait returns the output with its TEE verification: the enclave key, its attestation, the batch", async function () {
      const waiting = f.client.requestAndWait(
        { versionId: f.versionId, payment: PAYMENT, input: "alone" },
        { timeout: 10_000 },
      );
      let jobId = 0n;
      while (jobId === 0n) {
        const next = await f.escrow.nextJobId(f.requester.address);
        if (Number(await f.escrow.jobStatus(next - 1n)) === JobStatus.Open) jobId = next - 1n;
        else await new Promise((r) => setTimeout(r, 10));
      }
      const output = await serve(jobId);
      const r = await waiting;
      expect(r.request.jobId).to.equal(jobId);
      expect(r).to.deep.include({ jobId, output, mode: "TEE" });
      await expectTeeVerification(f, r);
      expect(r.settledAt).to.be.at.least(r.requestedAt);

      // A batch of two under one signature: each result names the same key and the batch size.
      const a = await f.client.requestInference({ versionId: f.versionId, payment: PAYMENT, input: "a" });
      const b = await f.client.requestInference({ versionId: f.versionId, payment: PAYMENT, input: "b" });
      const outputs = [hexlify(toUtf8Bytes("label=0")), hexlify(toUtf8Bytes("label=2"))];
      const jobs = [a.job, b.job];
      const none = { node: ZeroAddress, deliverBy: 0n };
      const sig = await f.enclave2.signBatch(f.teeDomain, f.addresses.escrow, jobs, outputs);
      await (await f.escrow.connect(f.node2).submitBatch(jobs, [none, none], outputs, sig)).wait();
      const rb = await f.client.waitForVerifiedResult(b.jobId, { timeout: 10_000 });
      expect(rb.output).to.equal(outputs[1]);
      expect(rb.verification).to.deep.include({ mode: "TEE", enclaveKey: f.enclave2.address, batchSize: 2 });
    });

    it("waitForResult rejects when the job is cancelled, with the refund", async function () {
      const { jobId } = await f.client.requestInference({ versionId: f.versionId, payment: PAYMENT, input: "in" });
      const waiting = f.client.waitForResult(jobId, { timeout: 10_000 }).catch((e: unknown) => e);
      await f.client.requestCancel(jobId);
      await networkHelpers.time.increaseTo(await f.client.cancellableAt(jobId));
      await f.client.cancel(jobId);
      const err = (await waiting) as VeritasJobError;
      expect(err).to.be.instanceOf(VeritasJobError);
      expect(err.code).to.equal("JOB_CANCELLED");
      expect(err.refund).to.equal(PAYMENT);
      expect((await f.client.getJob(jobId)).refund).to.equal(PAYMENT);
    });

    it("waitForResult rejects a job past its final deadline, open or claimed (PastDeadline), then Expired once expired", async function () {
      const { jobId, job } = await f.client.requestInference({
        versionId: f.versionId,
        payment: PAYMENT,
        input: "in",
        ttl: 700,
      });
      const claimed = await f.client.requestInference({
        versionId: f.versionId,
        payment: PAYMENT,
        input: "in2",
        ttl: 700,
      });
      await f.escrow.connect(f.node).claim(claimed.job);
      await networkHelpers.time.increaseTo(job.expiresAt);
      const late = (await f.client.waitForResult(jobId).catch((e: unknown) => e)) as VeritasJobError;
      expect(late.code).to.equal("PAST_DEADLINE");
      expect(late.message).to.contain("call expire(jobId) to refund it");
      // Claimed: its claimer may still deliver until the final deadline, not after.
      await networkHelpers.time.increaseTo(claimed.job.expiresAt + 1n);
      const missed = (await f.client.waitForResult(claimed.jobId).catch((e: unknown) => e)) as VeritasJobError;
      expect(missed.code).to.equal("PAST_DEADLINE");
      expect(missed.message).to.contain("reportMissedDeadline");
      await f.client.connectSigner(f.other).expire(jobId);
      const expired = (await f.client.waitForResult(jobId).catch((e: unknown) => e)) as VeritasJobError;
      expect(expired.code).to.equal("JOB_EXPIRED");
      expect(expired.refund).to.equal(PAYMENT);
      expect((await f.client.getJob(jobId)).status).to.equal("Expired");
    });

    it("waitForResult times out on a job nobody serves, and an unknown job is reported", async function () {
      const { jobId } = await f.client.requestInference({ versionId: f.versionId, payment: PAYMENT, input: "in" });
      const started = Date.now();
      const err = (await f.client.waitForResult(jobId, { timeout: 100 }).catch((e: unknown) => e)) as VeritasJobError;
      expect(err.code).to.equal("TIMEOUT");
      expect(Date.now() - started).to.be.lessThan(2_000);
      const unknown = (await f.client.getJob(jobId + 1n).catch((e: unknown) => e)) as VeritasJobError;
      expect(unknown.code).to.equal("UNKNOWN_JOB");
      expect(((await f.client.waitForResult(jobId + 1n).catch((e: unknown) => e)) as VeritasJobError).code).to.equal(
        "UNKNOWN_JOB",
      );
      await serve(jobId);
      expect((await f.client.waitForResult(jobId)).output).to.equal(hexlify(toUtf8Bytes("label=1")));
    });

    it("connect needs addresses, a matching deployment, or a packaged one", async function () {
      expect(await message(VeritasClient.connect(f.requester, { chainId: 424242 }))).to.equal(
        "VeritasClient: no Veritas deployment is packaged for chain 424242; pass { addresses } or { deployment }",
      );
      const deployment = { chainId: 1, network: "mainnet", deployedAtBlock: 0, contracts: f.addresses };
      expect(await message(VeritasClient.connect(f.requester, { deployment }))).to.equal(
        "VeritasClient: the deployment is for chain 1, the provider is on chain 31337",
      );
      const ok = await VeritasClient.connect(f.requester, {
        deployment: JSON.stringify({ ...deployment, chainId: 31337, deployedAtBlock: 3 }),
      });
      expect(ok.fromBlock).to.equal(3);
      expect(await ok.escrow.getAddress()).to.equal(f.addresses.escrow);
    });
  });

  describe("deploymentsDirectory", function () {
    it("is <root>/deployments unless VERITAS_DEPLOYMENTS_DIR names another, absolute or relative to the root", function () {
      expect(deploymentsDirectory("/p/", {})).to.equal("/p/deployments");
      expect(deploymentsDirectory("/p", { VERITAS_DEPLOYMENTS_DIR: "" })).to.equal("/p/deployments");
      expect(deploymentsDirectory("/p", { VERITAS_DEPLOYMENTS_DIR: "/tmp/records" })).to.equal("/tmp/records");
      expect(deploymentsDirectory("/p", { VERITAS_DEPLOYMENTS_DIR: "C:\\records" })).to.equal("C:\\records");
      expect(deploymentsDirectory("/p", { VERITAS_DEPLOYMENTS_DIR: "out/records" })).to.equal("/p/out/records");
    });
  });
});
