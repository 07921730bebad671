import { expect } from "chai";
import { network } from "hardhat";
import {
  hexlify,
  id,
  keccak256,
  toUtf8Bytes,
  TypedDataEncoder,
  Wallet,
  ZeroAddress,
  type TransactionReceipt,
} from "ethers";
import {
  VeritasClient,
  VeritasConnection,
  VeritasReader,
  VeritasRequester,
  VeritasVerification,
  type EventQuery,
  type VeritasTransport,
} from "../../src/client.js";
import { JobStatus, Mode, modeBit } from "../../src/constants.js";
import { VeritasError, VeritasJobError, VeritasRevertError, VeritasTransactionError } from "../../src/errors.js";
import type { Job } from "../../src/jobs.js";
import {
  attestationDomain,
  BATCH_TYPEHASH,
  BATCH_TYPES,
  batchDigest,
  RESULT_TYPEHASH,
  resultDigest,
  resultMessage,
  resultStructHash,
  signAttestation,
  SimulatedEnclave,
} from "../../src/tee.js";
import {
  MEASUREMENT,
  MIN_COLLATERAL,
  NODE_STAKE,
  PAYMENT,
  ROYALTY,
  VRT,
  type TeeFixture,
} from "../helpers/fixtures.js";
import { deployClientFixture, rejection } from "../helpers/client.js";

const { ethers, networkHelpers, provider } = await network.create();
const { time } = networkHelpers;
/** A signer the fixture leaves alone: no tokens, not a node. */
const fresh = (await ethers.getSigners())[9];

const fixture = () => deployClientFixture(ethers, networkHelpers);

describe("Role clients (src/roles.ts) and error codes, ethers transport (in-process chain)", function () {
  let f: TeeFixture & { client: VeritasClient; addresses: { escrow: string; tee: string } };
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
  });

  /** A client of the fixture's deployment for another signer (or read-only, with a provider). */
  const as = (runner: Parameters<typeof VeritasClient.connect>[0]) =>
    VeritasClient.connect(runner, { addresses: f.addresses, pollInterval: 10 });

  /** Serves jobs in one batch signed by node2's enclave; returns the outputs. */
  async function serveBatch(jobs: Job[]): Promise<string[]> {
    const outputs = jobs.map((_, i) => hexlify(toUtf8Bytes(`label=${i}`)));
    const none = { node: ZeroAddress, deliverBy: 0n };
    const sig = await f.enclave2.signBatch(f.teeDomain, f.addresses.escrow, jobs, outputs);
    await (
      await f.escrow.connect(f.node2).submitBatch(
        jobs,
        jobs.map(() => none),
        outputs,
        sig,
      )
    ).wait();
    return outputs;
  }

  it("model owner: creates a model, publishes a version with its digests, prices and modes, reads both back, deprecates it", async function () {
    const { modelOwner } = await as(f.modelOwner); // the role alone
    const created = await modelOwner.createModel("ipfs://model-card-2");
    expect(created.modelId).to.equal(2n); // the fixture created model 1
    expect(created.owner).to.equal(f.modelOwner.address); // from ModelCreated
    expect(await f.registry.modelOwner(created.modelId)).to.equal(f.modelOwner.address);
    const params = {
      weightsDigest: keccak256(toUtf8Bytes("weights-2")),
      ioSchemaDigest: keccak256(toUtf8Bytes("int8[8] -> int256[4]")),
      artifactURI: "ipfs://mlp-2.onnx",
      royalty: ROYALTY * 2n,
      minCollateral: MIN_COLLATERAL,
      modes: [Mode.TEE, Mode.OPTIMISTIC],
      teeMeasurements: [MEASUREMENT],
    };
    const published = await modelOwner.publishVersion(created.modelId, params);
    expect(published.versionId).to.equal(await f.registry.versionCount());
    expect(published.modelId).to.equal(created.modelId);
    const block = await ethers.provider.getBlock(published.blockNumber);
    const onChain = await f.registry.getVersion(published.versionId);
    const version = await modelOwner.getVersion(published.versionId);
    expect(version).to.deep.equal({
      versionId: published.versionId,
      modelId: created.modelId,
      royalty: ROYALTY * 2n,
      minCollateral: MIN_COLLATERAL,
      modes: [Mode.TEE, Mode.OPTIMISTIC],
      modesMask: modeBit(Mode.TEE) | modeBit(Mode.OPTIMISTIC),
      deprecated: false,
      weightsDigest: params.weightsDigest,
      ioSchemaDigest: params.ioSchemaDigest,
      artifactURI: params.artifactURI,
      zkVerifier: ZeroAddress,
      zkVerifierCodehash: onChain.zkVerifierCodehash,
      teeMeasurements: [MEASUREMENT],
      publishedAt: BigInt(block!.timestamp),
    });
    expect(Number(onChain.terms.modes)).to.equal(version.modesMask);
    expect(await modelOwner.getModel(created.modelId)).to.deep.equal({
      modelId: created.modelId,
      owner: f.modelOwner.address,
      versionIds: [published.versionId],
    });
    await modelOwner.deprecateVersion(published.versionId);
    expect((await modelOwner.getVersion(published.versionId)).deprecated).to.equal(true);

    // Somebody else's model: the registry's revert, decoded.
    const stranger = (await as(f.other)).modelOwner;
    const err = await rejection<VeritasRevertError>(stranger.publishVersion(created.modelId, params));
    expect(err).to.be.instanceOf(VeritasRevertError);
    expect(err.code).to.equal("CONTRACT_REVERT");
    expect(err.errorName).to.equal("NotModelOwner");
    expect(err.args).to.deep.equal({ modelId: created.modelId, caller: f.other.address });
  });

  it("model owner: the royalties a settled job accrued, withdrawn by the owner", async function () {
    const { modelOwner } = await as(f.modelOwner);
    expect(await modelOwner.royaltiesOf(f.modelId)).to.equal(0n);
    const r = await f.client.requester.requestInference({ versionId: f.versionId, payment: PAYMENT, input: "x" });
    await serveBatch([r.job]);
    expect(await modelOwner.royaltiesOf(f.modelId)).to.equal(ROYALTY);
    const before = await f.usd.balanceOf(f.modelOwner.address);
    await modelOwner.withdrawRoyalties(f.modelId);
    expect(await f.usd.balanceOf(f.modelOwner.address)).to.equal(before + ROYALTY);
    expect(await modelOwner.royaltiesOf(f.modelId)).to.equal(0n);
  });

  it("operator: registers a node, stakes (approving the staking contract), registers an enclave key, unstakes and withdraws after the thaw", async function () {
    const { operator } = await as(fresh);
    expect(await operator.stakingTokenAddress()).to.equal(await f.token.getAddress());
    await f.token.connect(f.deployer).transfer(fresh.address, NODE_STAKE);
    await operator.registerNode("https://fresh.nodes.example", [Mode.TEE, Mode.OPTIMISTIC]);
    expect(await operator.getNode()).to.deep.include({ registered: true, staked: 0n, active: false });
    await operator.stake(NODE_STAKE);
    const staked = await operator.getNode();
    expect(staked).to.deep.equal({
      node: fresh.address,
      registered: true,
      endpoint: "https://fresh.nodes.example",
      modes: [Mode.TEE, Mode.OPTIMISTIC],
      capabilities: modeBit(Mode.TEE) | modeBit(Mode.OPTIMISTIC),
      staked: NODE_STAKE,
      thawing: 0n,
      thawEnd: 0n,
      active: true,
      lockedCollateral: 0n,
    });
    expect((await f.staking.getNode(fresh.address)).staked).to.equal(NODE_STAKE);
    expect(await f.token.balanceOf(fresh.address)).to.equal(0n);

    // An enclave key attested by the attestation service.
    const enclave = new SimulatedEnclave(MEASUREMENT, new Wallet(id("fresh-enclave")));
    const expiresAt = BigInt(await time.latest()) + 7n * 24n * 3600n;
    const attestation = await signAttestation(
      f.attestationService,
      attestationDomain(f.chainId, await f.attestation.getAddress()),
      f.addresses.tee,
      fresh.address,
      enclave.address,
      MEASUREMENT,
      expiresAt,
    );
    expect(await operator.isActiveEnclaveKey(enclave.address)).to.equal(false);
    await operator.registerEnclaveKey(enclave.address, MEASUREMENT, expiresAt, attestation);
    expect(await f.tee.isActiveKey(enclave.address, fresh.address)).to.equal(true);
    expect(await operator.isActiveEnclaveKey(enclave.address)).to.equal(true);
    expect(await operator.isActiveEnclaveKey(enclave.address, f.node2.address)).to.equal(false); // not node2's key
    expect(await operator.isActiveEnclaveKey(f.enclave2.address, f.node2.address)).to.equal(true);

    await operator.requestUnstake(VRT(1));
    const thawing = await operator.getNode();
    expect(thawing).to.deep.include({ staked: NODE_STAKE - VRT(1), thawing: VRT(1) });
    expect(thawing.thawEnd).to.be.greaterThan(BigInt(await time.latest()));
    const early = await rejection<VeritasRevertError>(operator.withdrawStake());
    expect(early.errorName).to.equal("StakeStillThawing");
    await time.increaseTo(thawing.thawEnd);
    const withdrawn = await operator.withdrawStake();
    expect(withdrawn).to.deep.include({ amount: VRT(1), to: fresh.address }); // from StakeWithdrawn
    expect((await ethers.provider.getTransactionReceipt(withdrawn.transactionHash))?.blockNumber).to.equal(
      withdrawn.blockNumber,
    );
    expect(await f.token.balanceOf(fresh.address)).to.equal(VRT(1));
    expect(await operator.getNode()).to.deep.include({ staked: NODE_STAKE - VRT(1), thawing: 0n });
  });

  it("requester, reader and verification, each alone: a request, read back by a read-only client, its batch verified", async function () {
    const { requester } = f.client;
    const jobs = [];
    for (const input of ["a", "b", "c"])
      jobs.push(await requester.requestInference({ versionId: f.versionId, payment: PAYMENT, input }));
    const outputs = await serveBatch(jobs.map((j) => j.job));

    const readOnly = await VeritasClient.connect(ethers.provider, { addresses: f.addresses, fromBlock: 1 });
    const { reader, verification } = readOnly;
    const result = await reader.waitForResult(jobs[1].jobId, { timeout: 5_000 });
    expect(result).to.deep.include({ jobId: jobs[1].jobId, node: f.node2.address, output: outputs[1] });
    expect(await reader.getJob(jobs[2].jobId)).to.deep.include({
      status: "Settled",
      requestedAtBlock: jobs[2].blockNumber,
    });
    expect(await reader.balanceOf(f.node2.address)).to.equal(await f.escrow.balanceOf(f.node2.address));
    const [registered] = await f.tee.queryFilter(f.tee.filters.EnclaveKeyRegistered(f.node2.address));
    expect(await verification.verificationOf(result)).to.deep.equal({
      mode: "TEE",
      enclaveKey: f.enclave2.address,
      measurement: MEASUREMENT,
      attestationTx: registered.transactionHash,
      batchSize: 3,
      transactionHash: result.transactionHash,
    });
    // A read-only role cannot send: NO_SIGNER.
    const noSigner = await rejection<VeritasError>(readOnly.requester.deposit(1n));
    expect(noSigner.code).to.equal("NO_SIGNER");
  });

  it("reader: pastDeadline from the final deadline on for an open job, after it for a claimed one, never once settled", async function () {
    const { reader, requester } = f.client;
    const open = await requester.requestInference({ versionId: f.versionId, payment: PAYMENT, input: "o" });
    const claimed = await requester.requestInference({ versionId: f.versionId, payment: PAYMENT, input: "c" });
    await (await f.escrow.connect(f.node2).claim(claimed.job)).wait();
    expect(await reader.pastDeadline(await reader.getJob(open.jobId))).to.equal(false);
    await time.increaseTo(open.job.expiresAt); // the latest block is at the deadline
    expect(await reader.pastDeadline(await reader.getJob(open.jobId))).to.equal(true);
    const claimedInfo = await reader.getJob(claimed.jobId);
    expect(claimedInfo.status).to.equal("Claimed");
    expect(claimed.job.expiresAt).to.be.greaterThanOrEqual(open.job.expiresAt);
    await time.increaseTo(claimed.job.expiresAt);
    expect(await reader.pastDeadline(claimedInfo)).to.equal(false); // the claimer can still deliver in this second
    await time.increaseTo(claimed.job.expiresAt + 1n);
    expect(await reader.pastDeadline(claimedInfo)).to.equal(true);
    // Any other status: it is not waiting for a result that can no longer come.
    expect(await reader.pastDeadline({ ...claimedInfo, statusCode: JobStatus.Settled })).to.equal(false);
    await requester.expire(open.jobId);
    expect(await reader.pastDeadline(await reader.getJob(open.jobId))).to.equal(false);
  });

  it("verificationOf computes the batch's digest locally: the same few calls for any batch size, no log search from block 0", async function () {
    const jobs = [];
    for (const input of ["a", "b", "c"])
      jobs.push(await f.client.requestInference({ versionId: f.versionId, payment: PAYMENT, input }));
    await serveBatch(jobs.map((j) => j.job));
    // No fromBlock (so 0) and 4 blocks per query: the searches must still stay off block 0 and within 4 blocks.
    const base = (await VeritasClient.connect(ethers.provider, { addresses: f.addresses, maxBlockRange: 4 })).connection
      .transport;
    const head = await ethers.provider.getBlockNumber();
    const reads: string[] = [];
    const queries: Pick<EventQuery, "event" | "fromBlock" | "toBlock">[] = [];
    const counting: VeritasTransport<TransactionReceipt> = {
      ...base,
      read: (key, address, fn, args) => {
        reads.push(`${key}.${fn}`);
        return base.read(key, address, fn, args);
      },
      events: (q) => {
        queries.push({ event: q.event, fromBlock: q.fromBlock, toBlock: q.toBlock });
        return base.events(q);
      },
    };
    /** The backward ranges of 4 blocks from `top` down to the one holding `block`. */
    const backwards = (event: string, top: number, block: number) => {
      const out = [];
      for (let hi = top; hi >= block; hi -= 4) out.push({ event, fromBlock: Math.max(0, hi - 3), toBlock: hi });
      return out;
    };
    const connection = new VeritasConnection(counting);
    const result = await new VeritasReader(connection).waitForResult(jobs[0].jobId);
    expect(queries).to.deep.equal([
      ...backwards("JobRequested", head, jobs[0].blockNumber), // backwards from the head, 4 blocks a query
      { event: "JobSettled", fromBlock: jobs[0].blockNumber, toBlock: undefined }, // then from the request block
    ]);
    reads.length = 0;
    queries.length = 0;
    const v = await new VeritasVerification(connection).verificationOf(result);
    expect(v).to.deep.include({ enclaveKey: f.enclave2.address, batchSize: 3 });
    // No resultStructHash / resultDigest / batchDigest per job: the TEE verifier's address, then the key's record.
    expect(reads).to.deep.equal(["InferenceEscrow.verifierOf", "TeeRegistry.getEnclaveKey"]);
    // The key's registration: backwards from the settling block to the block it was registered in.
    const registeredAt = (await ethers.provider.getTransactionReceipt(v.mode === "TEE" ? v.attestationTx! : ""))!
      .blockNumber;
    expect(registeredAt).to.be.greaterThan(0);
    expect(queries).to.deep.equal(backwards("EnclaveKeyRegistered", result.blockNumber, registeredAt));
    expect(queries.every((q) => q.fromBlock > 0)).to.equal(true);
  });

  it("the local TEE digests equal the verifier's views, for one result and for a batch", async function () {
    const a = await f.client.requestInference({ versionId: f.versionId, payment: PAYMENT, input: "a" });
    const b = await f.client.requestInference({ versionId: f.versionId, payment: PAYMENT, input: "b" });
    const verifier = f.teeVerifier;
    const escrow = f.addresses.escrow;
    const hashes = [keccak256("0x01"), keccak256("0x02")];
    const jobs = [a.job, b.job];
    expect(RESULT_TYPEHASH).to.equal(await verifier.RESULT_TYPEHASH());
    expect(BATCH_TYPEHASH).to.equal(await verifier.BATCH_TYPEHASH());
    expect(resultDigest(f.teeDomain, escrow, a.job, hashes[0])).to.equal(
      await verifier.resultDigest(escrow, a.jobId, a.job.versionId, a.job.inputDigest, hashes[0]),
    );
    const structs = jobs.map((j, i) => resultStructHash(escrow, j, hashes[i]));
    expect(structs).to.deep.equal([
      await verifier.resultStructHash(escrow, a.jobId, a.job.versionId, a.job.inputDigest, hashes[0]),
      await verifier.resultStructHash(escrow, b.jobId, b.job.versionId, b.job.inputDigest, hashes[1]),
    ]);
    expect(batchDigest(f.teeDomain, structs)).to.equal(await verifier.batchDigest(structs));
    expect(batchDigest(f.teeDomain, structs.slice(0, 1))).to.equal(await verifier.batchDigest(structs.slice(0, 1)));
    // ... and what an enclave signs for the batch (EIP-712 InferenceBatch).
    const results = jobs.map((j, i) => resultMessage(escrow, j, hashes[i]));
    expect(batchDigest(f.teeDomain, structs)).to.equal(TypedDataEncoder.hash(f.teeDomain, BATCH_TYPES, { results }));
  });

  describe("error codes", function () {
    it("NO_PROVIDER, INVALID_DEPLOYMENT, DEPLOYMENT_NOT_FOUND, CHAIN_MISMATCH: connecting", async function () {
      const noProvider = await rejection<VeritasError>(VeritasClient.connect(new Wallet(id("no-provider"))));
      expect(noProvider).to.be.instanceOf(VeritasError);
      expect(noProvider.code).to.equal("NO_PROVIDER");
      const invalid = await rejection<VeritasError>(
        VeritasClient.connect(f.requester, { deployment: '{"chainId":31337,"contracts":{}}' }),
      );
      expect(invalid.code).to.equal("INVALID_DEPLOYMENT");
      expect((await rejection<VeritasError>(VeritasClient.connect(f.requester, { chainId: 424242 }))).code).to.equal(
        "DEPLOYMENT_NOT_FOUND",
      );
      const elsewhere = { chainId: 1, network: "mainnet", deployedAtBlock: 0, contracts: f.addresses };
      expect(
        (await rejection<VeritasError>(VeritasClient.connect(f.requester, { deployment: elsewhere }))).code,
      ).to.equal("CHAIN_MISMATCH");
    });

    it("INVALID_INPUT: a request without an input, or a ZK job's string input (nothing sent)", async function () {
      const nonce = await f.requester.getNonce();
      const none = await rejection<VeritasError>(
        f.client.requestInference({ versionId: f.versionId, payment: PAYMENT }),
      );
      expect(none.code).to.equal("INVALID_INPUT");
      const zk = await rejection<VeritasError>(
        f.client.requestInference({ versionId: f.versionId, payment: PAYMENT, mode: Mode.ZK, input: "x" }),
      );
      expect(zk.code).to.equal("INVALID_INPUT");
      expect(await f.requester.getNonce()).to.equal(nonce);
    });

    it("NO_PROPOSAL: finalizing a job with no optimistic proposal", async function () {
      const { jobId } = await f.client.requestInference({ versionId: f.versionId, payment: PAYMENT, input: "x" });
      const err = await rejection<VeritasJobError>(f.client.verification.finalize(jobId));
      expect(err).to.be.instanceOf(VeritasJobError);
      expect(err).to.deep.include({ code: "NO_PROPOSAL", jobId });
    });

    it("MISSING_EVENT: a mined request whose receipt (as the transport gives it) has no JobRequested", async function () {
      const base = f.client.connection.transport;
      const blind: VeritasTransport<TransactionReceipt> = {
        ...base,
        receiptInfo: (receipt) => ({ ...base.receiptInfo(receipt), logs: [] }),
      };
      const before = await f.escrow.nextJobId(f.requester.address);
      const requester = new VeritasRequester(new VeritasConnection(blind));
      const err = await rejection<VeritasError>(
        requester.requestInference({ versionId: f.versionId, payment: PAYMENT, input: "x" }),
      );
      expect(err.code).to.equal("MISSING_EVENT");
      expect(err.message).to.match(/no JobRequested event in transaction 0x[0-9a-f]{64}/);
      expect(await f.escrow.nextJobId(f.requester.address)).to.equal(before + 1n); // it was sent and mined
    });

    it("TX_REVERTED: a transaction sent against a state that changed before it was mined (no revert data)", async function () {
      const balance = await f.client.balanceOf();
      await provider.request({ method: "evm_setAutomine", params: [false] });
      try {
        // Both are estimated against the same state; the second is mined after the first emptied the balance.
        const first = f.client.withdraw(balance);
        const second = rejection<VeritasTransactionError>(f.client.withdraw(balance));
        await new Promise((r) => setTimeout(r, 300));
        await provider.request({ method: "evm_mine", params: [] });
        expect((await first).status).to.equal(1);
        await provider.request({ method: "evm_mine", params: [] });
        const err = await second;
        expect(err).to.be.instanceOf(VeritasTransactionError);
        expect(err).to.be.instanceOf(VeritasError);
        expect(err.code).to.equal("TX_REVERTED");
        expect(err.functionName).to.equal("withdraw");
        const mined = await ethers.provider.getTransactionReceipt(err.transactionHash);
        expect(mined?.status).to.equal(0);
      } finally {
        await provider.request({ method: "evm_setAutomine", params: [true] });
      }
    });
  });
});
