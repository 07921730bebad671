import { expect } from "chai";
import { network } from "hardhat";
import { keccak256 } from "ethers";
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  custom,
  encodeFunctionData,
  erc20Abi,
  type Address,
  type Hex,
  type PublicClient,
  type WalletClient,
} from "viem";
import { mainnet } from "viem/chains";
import { simulateContract } from "viem/actions";
import { Mode } from "../src/constants.js";
import {
  decodeVeritasError,
  findRevertData,
  VeritasError,
  VeritasRevertError,
  VeritasTransactionError,
} from "../src/errors.js";
import { VeritasClient } from "../src/client.js";
import { commitInput, toBytes32 } from "../src/zk.js";
import {
  createVeritasClient,
  VERITAS_CLIENT_ABIS,
  VeritasJobError,
  VeritasViemClient,
  type VeritasWalletClient,
} from "../src/viem.js";
import { releaseSnarkjs } from "../zk/lib/snark.js";
import { MEASUREMENT, MIN_COLLATERAL, NODE_STAKE, PAYMENT, ROYALTY, USD } from "./helpers/fixtures.js";
import { deployNodeFixture, makeNode, tempDir, type NodeFixture } from "./helpers/node.js";
import { trueOutput } from "./helpers/optimistic.js";
import { ZK_INPUT } from "./helpers/zk.js";
import { rejection } from "./helpers/client.js";
import { expectFinalizedVerification, expectTeeVerification } from "./helpers/verification.js";

const conn = await network.create();
const { ethers, networkHelpers } = conn;
const { time } = networkHelpers;
const fixture = () => deployNodeFixture(ethers, networkHelpers);
/** An account with neither tokens nor an escrow balance (the fixture's `other` holds a deposit). */
const fresh = (await ethers.getSigners())[12].address;

const publicClient: PublicClient = createPublicClient({ transport: custom(conn.provider, { retryCount: 0 }) });
const wallet = (account: string): WalletClient & VeritasWalletClient =>
  createWalletClient({ account: account as Address, transport: custom(conn.provider, { retryCount: 0 }) });

describe("VeritasViemClient (src/viem.ts): the client on viem clients, over Hardhat's in-process chain", function () {
  this.timeout(120_000);
  let f: NodeFixture;
  let client: VeritasViemClient;
  let addresses: { escrow: string; registry: string; tee: string; paymentToken: string };
  after(releaseSnarkjs);
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(fixture);
    addresses = {
      escrow: await f.escrow.getAddress(),
      registry: await f.registry.getAddress(),
      tee: await f.tee.getAddress(),
      paymentToken: await f.usd.getAddress(),
    };
    // A fresh client per test: its job cache must not outlive the fixture's snapshot.
    client = await createVeritasClient({
      publicClient,
      walletClient: wallet(f.requester.address),
      addresses,
      pollInterval: 10,
    });
  });

  /** Serves the open jobs once with the fixture's node (TEE: enclave signature; ZK: a Groth16 proof). */
  async function serveOnce() {
    const node = await makeNode(f, tempDir());
    try {
      return await node.runOnce();
    } finally {
      await node.stop();
    }
  }

  it("deposits (approving the escrow first) and withdraws the whole balance by default; balanceOf reads it", async function () {
    const c = client.connectWallet(wallet(fresh));
    await f.usd.mint(fresh, USD(10));
    const tokens = await f.usd.balanceOf(fresh);
    expect(await c.balanceOf()).to.equal(0n);
    const receipt = await c.deposit(USD(3));
    expect(receipt.status).to.equal("success");
    expect(await f.escrow.balanceOf(fresh)).to.equal(USD(3));
    expect(await c.balanceOf()).to.equal(USD(3));
    expect(await client.balanceOf(fresh)).to.equal(USD(3));
    const allowance = await publicClient.readContract({
      address: addresses.paymentToken as Address,
      abi: erc20Abi,
      functionName: "allowance",
      args: [fresh as Address, addresses.escrow as Address],
    });
    expect(allowance).to.equal(0n); // approved exactly the deposit, spent by it
    await c.withdraw();
    expect(await c.balanceOf()).to.equal(0n);
    expect(await f.usd.balanceOf(fresh)).to.equal(tokens);
    // The typed escrow handle reads the same balance (viem infers `balanceOf(address) -> bigint` from the ABI).
    expect(await client.escrow.read.balanceOf([f.requester.address as Address])).to.equal(
      await f.escrow.balanceOf(f.requester.address),
    );
  });

  it("a revert is a VeritasError with the custom error's name and arguments, decoded in simulation before sending", async function () {
    const c = client.connectWallet(wallet(fresh));
    const nonce = await publicClient.getTransactionCount({ address: fresh as Address });
    const err = await rejection<VeritasRevertError>(
      c.requestInference({ versionId: 1n, payment: PAYMENT, input: "x" }),
    );
    expect(err).to.be.instanceOf(VeritasError);
    expect(err.errorName).to.equal("InsufficientBalance");
    expect(err.args).to.deep.equal({ account: fresh, balance: 0n, needed: PAYMENT });
    expect(err.message).to.equal(`InsufficientBalance(account=${fresh}, balance=0, needed=${PAYMENT})`);
    expect(err.cause).to.be.instanceOf(BaseError); // viem's error, kept as the cause
    expect(await publicClient.getTransactionCount({ address: fresh as Address })).to.equal(nonce);
    // An error of another contract (the registry's, bubbled up through the escrow): not in the escrow's ABI, so
    // viem leaves it undecoded, and the Veritas error interface decodes its raw data.
    const unknown = await rejection<VeritasRevertError>(
      client.requestInference({ versionId: 77n, payment: PAYMENT, input: "x" }),
    );
    expect(unknown.message).to.equal("UnknownVersion(versionId=77)");
  });

  it("decodeVeritasError reads viem's errors: the revert data along the BaseError chain", async function () {
    const request = {
      address: addresses.escrow as Address,
      abi: VERITAS_CLIENT_ABIS.InferenceEscrow,
      functionName: "withdraw",
      args: [1n, fresh as Address],
      account: fresh as Address,
    } as const;
    const err = await rejection<BaseError>(simulateContract(publicClient, request));
    expect(err).to.be.instanceOf(BaseError);
    const d = decodeVeritasError(err)!;
    expect(d.name).to.equal("InsufficientBalance");
    expect(d.args).to.deep.equal({ account: fresh, balance: 0n, needed: 1n });
    expect(d.data).to.match(/^0xdb42144d/); // the selector of InsufficientBalance(address,uint256,uint256)
    expect(decodeVeritasError(new BaseError("no revert here"))).to.equal(undefined);

    // Revert data viem could not decode (not in the ABI it was given) is only in `raw`.
    const raw = new ContractFunctionRevertedError({ abi: [], data: d.data as Hex, functionName: "withdraw" });
    expect(raw.data).to.equal(undefined);
    expect(findRevertData(raw)).to.equal(d.data);
    expect(decodeVeritasError(raw)?.message).to.equal(`InsufficientBalance(account=${fresh}, balance=0, needed=1)`);
    // A revert without data: viem's message prints the call's calldata as `data: 0x…`, which is never taken for it.
    const calldata = encodeFunctionData({ abi: request.abi, functionName: "withdraw", args: request.args });
    const bare = new BaseError("Execution reverted.", {
      metaMessages: ["Raw Call Arguments:", `  data:  ${calldata}`],
    });
    expect(bare.message).to.contain(calldata);
    expect(findRevertData(bare)).to.equal(undefined);
  });

  it("requests with the defaults, paid from the balance or by transfer; the same digests as the ethers client", async function () {
    const latest = BigInt(await time.latest());
    const before = await client.balanceOf();
    const r = await client.requestInference({ versionId: 1n, payment: PAYMENT, input: "[1,2]", inputURI: "ipfs://in" });
    expect(r.job).to.deep.include({
      requester: f.requester.address,
      versionId: 1n,
      mode: BigInt(Mode.TEE),
      payment: PAYMENT,
      deliveryWindow: 600n,
      inputDigest: keccak256(new TextEncoder().encode("[1,2]")),
    });
    expect(r.job.expiresAt).to.be.within(latest + 3600n, latest + 3602n);
    expect(r.inputURI).to.equal("ipfs://in");
    expect(r.transactionHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(await client.balanceOf()).to.equal(before - PAYMENT);
    // The job as the chain recorded it: what getJob decodes from JobRequested with viem (numbers made bigints).
    const reader = await createVeritasClient({ publicClient, addresses: { escrow: addresses.escrow } });
    expect((await reader.getJob(r.jobId)).job).to.deep.equal(r.job);
    const readOnly = await rejection<VeritasError>(reader.deposit(1n));
    expect(readOnly.message).to.contain("no walletClient with an account");
    expect(readOnly.code).to.equal("NO_SIGNER");

    const tokens = await f.usd.balanceOf(f.requester.address);
    const t = await client.requestInference(
      { versionId: 1n, payment: PAYMENT, inputDigest: keccak256("0x02") },
      { pay: "transfer" },
    );
    expect((await client.getJob(t.jobId)).status).to.equal("Open");
    expect(await f.usd.balanceOf(f.requester.address)).to.equal(tokens - PAYMENT);
    expect(await client.balanceOf()).to.equal(before - PAYMENT);
  });

  it("a TEE job served by the node: getJob Open then Settled; waitForVerifiedResult names the enclave key and its attestation", async function () {
    const { jobId } = await client.requestInference({
      versionId: 1n,
      mode: Mode.TEE,
      payment: PAYMENT,
      input: ZK_INPUT,
    });
    expect(await client.getJob(jobId)).to.deep.include({ status: "Open", statusCode: 1, claim: null, result: null });
    const waiting = client.waitForVerifiedResult(jobId, { timeout: 20_000 });
    const [served] = await serveOnce();
    expect(served).to.include({ jobId, status: "settled", mode: "tee" });
    const r = await waiting;
    const [settled] = await f.escrow.queryFilter(f.escrow.filters.JobSettled(jobId));
    expect(r).to.deep.include({
      jobId,
      node: f.node.address,
      output: settled.args.output,
      outputHash: keccak256(settled.args.output),
      transactionHash: settled.transactionHash,
      mode: "TEE",
      royalty: settled.args.royalty,
      protocolFee: settled.args.protocolFee,
      nodeFee: settled.args.nodeFee,
    });
    expect(r.nodeFee + r.royalty + r.protocolFee).to.equal(PAYMENT);
    expect(r.transactionHash).to.equal(settled.transactionHash);
    await expectTeeVerification(f, r);
    expect(r.settledAt).to.be.at.least(r.requestedAt);
    const info = await client.getJob(jobId);
    expect(info.status).to.equal("Settled");
    const { mode: _, verification: __, requestedAt: ___, settledAt: ____, ...result } = r;
    expect(info.result).to.deep.equal(result);
  });

  it("a ZK job from a raw int8 input: requestInference commits to it and sends it inline, the node proves it, the result is the model's", async function () {
    const refused = await rejection(
      client.requestInference({ versionId: 1n, mode: Mode.ZK, payment: PAYMENT, input: "x" }),
    );
    expect(refused.message).to.match(/input commitment, not keccak256/);
    const outOfRange = await rejection<VeritasError>(
      client.requestInference({ versionId: 1n, mode: Mode.ZK, payment: PAYMENT, input: [1, 128] }),
    );
    expect(outOfRange.message).to.equal(
      "requestInference: an array `input` must be a non-empty vector of int8 integers",
    );
    expect(outOfRange.code).to.equal("INVALID_INPUT");

    const req = await client.requestInference({ versionId: 1n, mode: Mode.ZK, payment: PAYMENT, input: ZK_INPUT });
    expect(req.job.inputDigest).to.equal(toBytes32(commitInput(ZK_INPUT)));
    expect(req.inputURI).to.equal(`data:application/json,${encodeURIComponent(JSON.stringify(ZK_INPUT))}`);
    const [served] = await serveOnce();
    expect(served).to.include({ jobId: req.jobId, status: "settled", mode: "zk" });
    const r = await client.waitForVerifiedResult(req.jobId, { timeout: 10_000 });
    expect(r.output).to.equal(await trueOutput());
    expect(r.mode).to.equal("ZK");
    const version = await f.registry.getVersion(1n);
    expect(r.verification).to.deep.equal({
      mode: "ZK",
      verifier: version.zkVerifier,
      transactionHash: r.transactionHash,
    });
  });

  it("optimistic: getJob shows the claim and proposal, finalize reverts inside the window, waitForResult({ finalize }) settles after", async function () {
    const { jobId, job } = await client.requestInference({
      versionId: f.plainVersion,
      mode: Mode.OPTIMISTIC,
      payment: PAYMENT,
      input: "in",
    });
    const output = await trueOutput();
    const { claim, proposal } = await f.propose(job, output);
    const info = await client.getJob(jobId);
    expect(info.status).to.equal("Proposed");
    expect(info.claim).to.deep.equal(claim);
    expect(info.proposal).to.deep.equal({ ...proposal, node: f.node.address, output });

    const early = await rejection<VeritasRevertError>(client.finalize(jobId));
    expect(early).to.be.instanceOf(VeritasError);
    expect(early.errorName).to.equal("ChallengeWindowOpen");
    expect(early.args).to.deep.equal({ jobId, challengeEnds: proposal.challengeEnds });

    await time.increaseTo(proposal.challengeEnds);
    const r = await client.waitForVerifiedResult(jobId, { timeout: 10_000, finalize: true });
    expect(r).to.deep.include({ jobId, node: f.node.address, output, mode: "OPTIMISTIC" });
    await expectFinalizedVerification(f.escrow, r, proposal.challengeEnds);
    expect((await client.getJob(jobId)).status).to.equal("Settled");
  });

  it("cancel: requestCancel, cancel refused in the grace period, then refunded; waitForResult rejects Cancelled with the refund", async function () {
    const before = await client.balanceOf();
    const { jobId } = await client.requestInference({ versionId: 1n, payment: PAYMENT, input: "in" });
    const waiting = rejection<VeritasJobError>(client.waitForResult(jobId, { timeout: 10_000 }));
    expect(await client.cancellableAt(jobId)).to.equal(0n);
    await client.requestCancel(jobId);
    const at = await client.cancellableAt(jobId);
    expect(at).to.be.greaterThan(BigInt(await time.latest()));
    const early = await rejection<VeritasRevertError>(client.cancel(jobId));
    expect(early.errorName).to.equal("CancelGracePeriod");
    expect(early.args).to.deep.equal({ jobId, cancellableAt: at });
    await time.increaseTo(at);
    await client.cancel(jobId);
    const err = await waiting;
    expect(err).to.be.instanceOf(VeritasJobError);
    expect(err.code).to.equal("JOB_CANCELLED");
    expect(err.refund).to.equal(PAYMENT);
    expect(await client.getJob(jobId)).to.deep.include({ status: "Cancelled", refund: PAYMENT });
    expect(await client.balanceOf()).to.equal(before);
  });

  it("deadlines: PastDeadline for an open and a claimed job, expire by anyone, then Expired with the refund", async function () {
    const { jobId, job } = await client.requestInference({ versionId: 1n, payment: PAYMENT, input: "in", ttl: 700 });
    const claimed = await client.requestInference({ versionId: 1n, payment: PAYMENT, input: "in2", ttl: 700 });
    await f.escrow.connect(f.node).claim(claimed.job);
    const info = await client.getJob(claimed.jobId);
    expect(info.status).to.equal("Claimed");
    expect(info.claim?.node).to.equal(f.node.address);
    expect(info.claim?.deliverBy).to.be.a("bigint");
    await time.increaseTo(job.expiresAt);
    const late = await rejection<VeritasJobError>(client.waitForResult(jobId));
    expect(late.code).to.equal("PAST_DEADLINE");
    expect(late.message).to.contain("call expire(jobId) to refund it");
    await time.increaseTo(claimed.job.expiresAt + 1n);
    const missed = await rejection<VeritasJobError>(client.waitForResult(claimed.jobId));
    expect(missed.code).to.equal("PAST_DEADLINE");
    expect(missed.message).to.contain("reportMissedDeadline");
    await client.connectWallet(wallet(f.other.address)).expire(jobId);
    const expired = await rejection<VeritasJobError>(client.waitForResult(jobId));
    expect(expired.code).to.equal("JOB_EXPIRED");
    expect(expired.refund).to.equal(PAYMENT);
    expect(await client.getJob(jobId)).to.deep.include({ status: "Expired", refund: PAYMENT });
  });

  it("waitForResult times out on a job nobody serves; an unknown job is UnknownJob", async function () {
    const { jobId } = await client.requestInference({ versionId: 1n, payment: PAYMENT, input: "in" });
    const started = Date.now();
    const err = await rejection<VeritasJobError>(client.waitForResult(jobId, { timeout: 100 }));
    expect(err.code).to.equal("TIMEOUT");
    expect(Date.now() - started).to.be.lessThan(2_000);
    expect((await rejection<VeritasJobError>(client.getJob(jobId + 1n))).code).to.equal("UNKNOWN_JOB");
    expect((await rejection<VeritasJobError>(client.waitForResult(jobId + 1n))).code).to.equal("UNKNOWN_JOB");
  });

  it("createVeritasClient needs addresses, a deployment of the public client's chain, or a packaged one", async function () {
    const none = await rejection<VeritasError>(createVeritasClient({ publicClient, chainId: 424242 }));
    expect(none.message).to.equal(
      "VeritasViemClient: no Veritas deployment is packaged for chain 424242; pass { addresses } or { deployment }",
    );
    expect(none.code).to.equal("DEPLOYMENT_NOT_FOUND");
    const deployment = { chainId: 1, network: "mainnet", deployedAtBlock: 0, contracts: addresses };
    const other = await rejection<VeritasError>(createVeritasClient({ publicClient, deployment }));
    expect(other.message).to.equal("VeritasViemClient: the deployment is for chain 1, the provider is on chain 31337");
    expect(other.code).to.equal("CHAIN_MISMATCH");
    const onMainnet = createWalletClient({
      account: f.requester.address as Hex,
      chain: mainnet,
      transport: custom(conn.provider, { retryCount: 0 }),
    });
    const wrongWallet = await rejection<VeritasError>(
      createVeritasClient({ publicClient, walletClient: onMainnet, addresses }),
    );
    expect(wrongWallet.message).to.equal(
      "VeritasViemClient: the wallet client is on chain 1, the public client on chain 31337",
    );
    expect(wrongWallet.code).to.equal("CHAIN_MISMATCH");
    const ok = await createVeritasClient({
      publicClient,
      deployment: JSON.stringify({ ...deployment, chainId: 31337, deployedAtBlock: 3 }),
    });
    expect(ok.fromBlock).to.equal(3);
    expect(ok.chainId).to.equal(31337n);
    expect(ok.addresses.escrow).to.equal(addresses.escrow);
  });
  it("role clients over viem: the model owner publishes a version, the operator registers and stakes; read back as the ethers roles read them", async function () {
    const owner = client.connectWallet(wallet(f.modelOwner.address)).modelOwner;
    const created = await owner.createModel("ipfs://viem-model-card");
    expect(created.receipt.status).to.equal("success");
    expect(await f.registry.modelOwner(created.modelId)).to.equal(f.modelOwner.address);
    const published = await owner.publishVersion(created.modelId, {
      weightsDigest: keccak256(new TextEncoder().encode("viem-weights")),
      ioSchemaDigest: keccak256(new TextEncoder().encode("int8[8] -> int256[4]")),
      artifactURI: "ipfs://viem.onnx",
      royalty: ROYALTY,
      minCollateral: MIN_COLLATERAL,
      modes: [Mode.TEE],
      teeMeasurements: [MEASUREMENT],
    });
    expect(published.versionId).to.equal(await f.registry.versionCount());
    // The ethers client's roles read the same chain: viem's numbers (uint48, uint40, uint16) come back as the same types.
    const viaEthers = await VeritasClient.connect(ethers.provider, { addresses });
    const version = await owner.getVersion(published.versionId);
    expect(version).to.deep.equal(await viaEthers.modelOwner.getVersion(published.versionId));
    expect(version).to.deep.include({
      modelId: created.modelId,
      royalty: ROYALTY,
      modes: [Mode.TEE],
      deprecated: false,
    });
    expect(version.publishedAt).to.be.a("bigint");
    expect(await owner.getModel(created.modelId)).to.deep.equal({
      modelId: created.modelId,
      owner: f.modelOwner.address,
      versionIds: [published.versionId],
    });

    const node = (await ethers.getSigners())[13].address;
    await f.token.connect(f.deployer).transfer(node, NODE_STAKE);
    const operator = client.connectWallet(wallet(node)).operator; // staking's address read from the escrow
    await operator.registerNode("https://viem.nodes.example", [Mode.TEE, Mode.ZK]);
    await operator.stake(NODE_STAKE);
    const info = await operator.getNode();
    expect(info).to.deep.equal(await viaEthers.operator.getNode(node));
    expect(info).to.deep.include({
      node,
      registered: true,
      endpoint: "https://viem.nodes.example",
      modes: [Mode.TEE, Mode.ZK],
      staked: NODE_STAKE,
      active: true,
    });
    expect(await f.token.balanceOf(node)).to.equal(0n);
  });

  it("TX_REVERTED: a transaction that simulated fine but reverted when mined is a coded VeritasTransactionError", async function () {
    const balance = await client.balanceOf();
    // The client's wallet, on a transport that, when the client sends its withdrawal (simulated fine), first sends
    // another withdrawal of the whole balance from the same account, then mines both in one block: the client's is
    // mined second and reverts.
    const racing = createWalletClient({
      account: f.requester.address as Address,
      transport: custom({
        request: async ({ method, params }: { method: string; params?: unknown }) => {
          if (method !== "eth_sendTransaction") return conn.provider.request({ method, params: params as unknown[] });
          await conn.provider.request({ method: "evm_setAutomine", params: [false] });
          await f.escrow.connect(f.requester).withdraw(balance, f.requester.address);
          // With its gas given (else the node would estimate it on the pending state, where it already fails).
          const [tx] = params as [Record<string, unknown>];
          const hash = await conn.provider.request({ method, params: [{ gas: "0x100000", ...tx }] });
          await conn.provider.request({ method: "evm_mine", params: [] });
          await conn.provider.request({ method: "evm_setAutomine", params: [true] });
          return hash;
        },
      }),
    });
    const raced = await createVeritasClient({ publicClient, walletClient: racing, addresses, pollInterval: 10 });
    const err = await rejection<VeritasTransactionError>(raced.withdraw(balance));
    expect(err).to.be.instanceOf(VeritasTransactionError);
    expect(err).to.be.instanceOf(VeritasError);
    expect(err.code).to.equal("TX_REVERTED");
    expect(err.functionName).to.equal("withdraw");
    const mined = await publicClient.getTransactionReceipt({ hash: err.transactionHash as Hex });
    expect(mined.status).to.equal("reverted");
    expect(await f.escrow.balanceOf(f.requester.address)).to.equal(0n); // the other withdrawal took it all
  });
});
