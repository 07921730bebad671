import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { network } from "hardhat";
import {
  claimIn,
  claimOf,
  eventsOf,
  feeSplitOf,
  JOB_FIELDS,
  jobTuple,
  nodeFeeOf,
  proposalOf,
  requestedJobs,
  skippedJobs,
} from "../../src/jobs.js";
import { ROOT } from "../../deploy/deployment.js";
import { deployTeeFixture } from "../helpers/fixtures.js";

const { ethers, networkHelpers } = await network.create();
const teeFixture = () => deployTeeFixture(ethers, networkHelpers);

describe("src/jobs.ts: the one job codec (ABI-derived tuples, escrow-only decoders, fee split)", function () {
  it("the Job fields are the escrow ABI's, in the order IInferenceEscrow.sol declares them", function () {
    const source = readFileSync(path.join(ROOT, "contracts", "interfaces", "IInferenceEscrow.sol"), "utf8");
    const body = /struct Job \{([^}]*)\}/.exec(source)![1];
    const declared = [...body.matchAll(/^\s*\w+\s+(\w+);/gm)].map((m) => m[1]);
    expect(JOB_FIELDS).to.deep.equal(declared);
    expect(declared).to.have.length(15);
  });

  it("decodes the request and claim of a receipt, and ignores look-alike events another contract emitted", async function () {
    const f = await networkHelpers.loadFixture(teeFixture);
    const requested = await f.request();
    const receipt = (await (await f.escrow.connect(f.node).claim(requested.job)).wait())!;
    const claim = claimOf(f.escrow, receipt.logs);
    expect(claim.node).to.equal(f.node.address);
    expect(jobTuple(requested.job)).to.deep.equal(JOB_FIELDS.map((k) => requested.job[k]));

    // The same logs, as if another contract (a requester's callback) had emitted them: not the escrow's.
    const forged = receipt.logs.map((l) => ({ address: f.node.address, topics: l.topics, data: l.data }));
    expect(eventsOf(f.escrow, forged)).to.deep.equal([]);
    expect(claimIn(f.escrow, forged)).to.equal(undefined);
    expect(() => claimOf(f.escrow, forged)).to.throw("no JobClaimed event in these logs");
    expect(requestedJobs(f.escrow, forged)).to.deep.equal([]);
    expect(skippedJobs(f.escrow, forged).size).to.equal(0);
    expect(() => proposalOf(f.escrow, receipt.logs)).to.throw("no ResultProposed event in these logs");
    // A log with the escrow's address and topic but undecodable data is skipped, not thrown.
    const truncated = receipt.logs.map((l) => ({ address: l.address, topics: l.topics, data: "0x" }));
    expect(eventsOf(f.escrow, truncated)).to.deep.equal([]);
  });

  it("splits a payment as InferenceEscrow._settle does: royalty, floor(payment * feeBps / 1e4), the rest", function () {
    const job = { payment: 1_000_001n, royalty: 50_000n, feeBps: 250n };
    expect(feeSplitOf(job)).to.deep.equal({ nodeFee: 925_001n, royalty: 50_000n, protocolFee: 25_000n });
    expect(nodeFeeOf(job)).to.equal(925_001n);
    expect(feeSplitOf({ payment: 39n, royalty: 0n, feeBps: 1_000n }).protocolFee).to.equal(3n);
  });
});
