import { expect } from "chai";
import { keccak256, toUtf8Bytes, ZeroAddress } from "ethers";
import { JobStatus, Mode } from "../helpers/constants.js";
import type { DeploymentRecord } from "../../deploy/deployment.js";
import { claimOf, requestedJobs } from "../../src/jobs.js";
import { teeResultDomain } from "../../src/tee.js";
import { InferenceEscrow__factory, MockUSD__factory, TeeRegistry__factory } from "../../typechain-types/index.js";
import { onboardTeeNode } from "../helpers/onboard.js";
import { deployTo, startNode, type RpcNode } from "../helpers/rpc-node.js";
import { describeOffChain } from "../helpers/offchain.js";

for (const client of ["hardhat", "anvil"] as const) {
  describeOffChain(`Deployment on a JSON-RPC node (${client === "hardhat" ? "hardhat node" : "anvil"})`, function () {
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
      const c = record.contracts;
      const { operator, requester, measurement, enclave } = await onboardTeeNode(p, record, {
        tag: "rpc-test",
        weightsDigest: keccak256(toUtf8Bytes("w")),
      });
      const tee = TeeRegistry__factory.connect(c.tee, p);
      expect(await tee.isMeasurementApproved(measurement)).to.equal(true);
      expect(await tee.isActiveKey(enclave.address, await operator.getAddress())).to.equal(true);
      const usd = MockUSD__factory.connect(c.paymentToken, requester);
      const escrow = InferenceEscrow__factory.connect(c.escrow, requester);
      const chainId = (await p.getNetwork()).chainId;
      const latest = (await p.getBlock("latest"))!.timestamp;

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
