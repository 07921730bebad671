import { expect } from "chai";
import { id, keccak256, toUtf8Bytes, Wallet, ZeroAddress, ZeroHash, type JsonRpcSigner } from "ethers";
import { JobStatus, Mode, modeBit } from "../helpers/constants.js";
import type { DeploymentRecord } from "../../scripts/lib/deployment.js";
import { claimOf, requestedJobs } from "../../src/jobs.js";
import { attestationDomain, signAttestation, SimulatedEnclave, teeResultDomain } from "../../src/tee.js";
import {
  InferenceEscrow__factory,
  MockUSD__factory,
  ModelRegistry__factory,
  NodeStaking__factory,
  SignedAttestationVerifier__factory,
  TeeRegistry__factory,
  VeritasTimelock__factory,
  VeritasToken__factory,
} from "../../typechain-types/index.js";
import { deployTo, startNode, type RpcNode } from "../helpers/rpc-node.js";

for (const client of ["hardhat", "anvil"] as const) {
  describe(`Deployment on a JSON-RPC node (${client === "hardhat" ? "hardhat node" : "anvil"})`, function () {
    this.timeout(180_000);
    let node: RpcNode;
    let record: DeploymentRecord;
    let deployOutput: string;

    before(async function () {
      node = await startNode(client);
      ({ record, output: deployOutput } = await deployTo(node));
    });

    after(async function () {
      await node?.stop();
    });

    it("deploys with the user's command, records the addresses, and every parameter reads back as configured", async function () {
      expect(deployOutput).to.contain(
        "Deployment check: every parameter read back from the contracts matches the parameter file.",
      );
      expect(record.chainId).to.equal(31337);
      expect(Object.keys(record.contracts)).to.include.members([
        "escrow",
        "disputes",
        "staking",
        "registry",
        "tee",
        "teeVerifier",
        "zkVerifier",
        "timelock",
        "token",
        "paymentToken",
      ]);
      for (const [name, address] of Object.entries(record.contracts)) {
        expect((await node.provider.getCode(address)).length, `${name} has code`).to.be.greaterThan(2);
      }
    });

    it("runs one TEE job through the deployed suite over JSON-RPC", async function () {
      const p = node.provider;
      const signer = (i: number): Promise<JsonRpcSigner> => p.getSigner(i);
      const [deployer, modelOwner, operator, requester] = await Promise.all([0, 3, 4, 5].map(signer));
      const c = record.contracts;
      const timelock = VeritasTimelock__factory.connect(c.timelock, deployer);
      const tee = TeeRegistry__factory.connect(c.tee, deployer);
      const attestation = SignedAttestationVerifier__factory.connect(c.attestation, deployer);
      const registry = ModelRegistry__factory.connect(c.registry, modelOwner);
      const staking = NodeStaking__factory.connect(c.staking, operator);
      const token = VeritasToken__factory.connect(c.token, deployer);
      const usd = MockUSD__factory.connect(c.paymentToken, requester);
      const escrow = InferenceEscrow__factory.connect(c.escrow, requester);
      const chainId = (await p.getNetwork()).chainId;

      // Governance through the timelock: schedule, let the delay pass on the node, execute.
      const measurement = id("rpc-test-enclave");
      const service = new Wallet(id("rpc-test-attestation-service"));
      const targets = [c.tee, c.attestation];
      const payloads = [
        tee.interface.encodeFunctionData("approveMeasurement", [measurement, "rpc test"]),
        attestation.interface.encodeFunctionData("setAttestationSigner", [service.address, true]),
      ];
      const delay = await timelock.getMinDelay();
      await (await timelock.scheduleBatch(targets, [0n, 0n], payloads, ZeroHash, id("rpc"), delay)).wait();
      await p.send("evm_increaseTime", [Number(delay)]);
      await p.send("evm_mine", []);
      await (await timelock.executeBatch(targets, [0n, 0n], payloads, ZeroHash, id("rpc"))).wait();
      expect(await tee.isMeasurementApproved(measurement)).to.equal(true);

      await (await registry.createModel("ipfs://model")).wait();
      await (
        await registry.publishVersion(1n, {
          weightsDigest: keccak256(toUtf8Bytes("w")),
          ioSchemaDigest: ZeroHash,
          artifactURI: "ipfs://w",
          royalty: 50_000n,
          minCollateral: 10n ** 20n,
          modes: modeBit(Mode.TEE),
          zkVerifier: ZeroAddress,
          teeMeasurements: [measurement],
        })
      ).wait();

      const stake = 10n ** 22n;
      await (await token.transfer(await operator.getAddress(), stake)).wait();
      await (await VeritasToken__factory.connect(c.token, operator).approve(c.staking, stake)).wait();
      await (await staking.registerNode("http://127.0.0.1", modeBit(Mode.TEE))).wait();
      await (await staking.stake(await operator.getAddress(), stake)).wait();
      const enclave = new SimulatedEnclave(measurement);
      const latest = (await p.getBlock("latest"))!.timestamp;
      const expiresAt = BigInt(latest) + 86_400n;
      const att = await signAttestation(
        service,
        attestationDomain(chainId, c.attestation),
        c.tee,
        await operator.getAddress(),
        enclave.address,
        measurement,
        expiresAt,
      );
      await (
        await TeeRegistry__factory.connect(c.tee, operator).registerEnclaveKey(
          enclave.address,
          measurement,
          expiresAt,
          att,
        )
      ).wait();

      await (await usd.mint(await requester.getAddress(), 5_000_000n)).wait();
      await (await usd.approve(c.escrow, 5_000_000n)).wait();
      const receipt = await (
        await escrow.requestInferenceWithTransfer({
          versionId: 1n,
          mode: Mode.TEE,
          node: ZeroAddress,
          payment: 1_000_000n,
          deliveryWindow: 600n,
          expiresAt: BigInt(latest) + 3_600n,
          callbackGasLimit: 0n,
          inputDigest: keccak256(toUtf8Bytes("input")),
          inputURI: "data:,input",
        })
      ).wait();
      const [{ jobId, job }] = requestedJobs(escrow, receipt!.logs);
      const asNode = InferenceEscrow__factory.connect(c.escrow, operator);
      const claim = claimOf(escrow, (await (await asNode.claim(job)).wait())!.logs);
      const output = "0x" + Buffer.from("label=1").toString("hex");
      const sig = await enclave.signResult(teeResultDomain(chainId, c.teeVerifier), c.escrow, job, output);
      await (await asNode.submitResult(job, claim, output, sig)).wait();

      expect(await escrow.jobStatus(jobId)).to.equal(JobStatus.Settled);
      const fee = (1_000_000n * job.feeBps) / 10_000n;
      expect(await escrow.balanceOf(await operator.getAddress())).to.equal(1_000_000n - 50_000n - fee);
      expect(await usd.balanceOf(c.escrow)).to.equal(1_000_000n);
    });
  });
}
