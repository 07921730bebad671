import { expect } from "chai";
import { network } from "hardhat";
import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { EventFollower, lastLogUpTo, type FollowedLog, type FollowerOptions } from "../../src/node/follower.js";
import { JobJournal, type JobState } from "../../src/node/journal.js";
import { deployTeeFixture } from "../helpers/fixtures.js";
import { flakyProvider } from "../helpers/node.js";

const { ethers, networkHelpers } = await network.create();
const fixture = () => deployTeeFixture(ethers, networkHelpers);

/** A follower of the escrow's JobRequested through a flaky provider, collecting job ids into `seen`. */
async function flakyFollower(
  f: Awaited<ReturnType<typeof fixture>>,
  state: { failures: number; calls: number },
  seen: bigint[],
  opts: FollowerOptions,
): Promise<EventFollower> {
  return new EventFollower(
    flakyProvider(ethers.provider, state),
    [{ address: await f.escrow.getAddress(), iface: f.escrow.interface, events: ["JobRequested"] }],
    (l) => {
      seen.push(l.event.args.jobId);
    },
    opts,
  );
}

describe("node/EventFollower", function () {
  it("processes a log only once it is `confirmations` blocks deep, and advances its cursor", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const start = await ethers.provider.getBlockNumber();
    const seen: FollowedLog[] = [];
    const follower = new EventFollower(
      ethers.provider,
      [{ address: await f.escrow.getAddress(), iface: f.escrow.interface, events: ["JobRequested"] }],
      (l) => {
        seen.push(l);
      },
      { fromBlock: start + 1, confirmations: 2 },
    );
    const { jobId } = await f.request();
    const requestBlock = await ethers.provider.getBlockNumber();
    let r = await follower.poll();
    expect(r.logs).to.have.length(0);
    expect(follower.cursor).to.equal(requestBlock); // the safe head (head - 2) is below it: nothing read
    await networkHelpers.mine(1);
    expect((await follower.poll()).logs).to.have.length(0);
    await networkHelpers.mine(1);
    r = await follower.poll();
    expect(r.logs).to.have.length(1);
    expect(seen[0].name).to.equal("JobRequested");
    expect(seen[0].event.args.jobId).to.equal(jobId);
    expect(follower.cursor).to.equal(requestBlock + 1);
    // Nothing is handled twice.
    await networkHelpers.mine(3);
    expect((await follower.poll()).logs).to.have.length(0);
    expect(seen).to.have.length(1);
  });

  it("survives RPC errors: backs off, keeps its cursor and reads the range again", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const start = await ethers.provider.getBlockNumber();
    await f.request();
    await f.request();
    const state = { failures: 3, calls: 0 };
    const seen: bigint[] = [];
    const follower = await flakyFollower(f, state, seen, {
      fromBlock: start + 1,
      maxRange: 1,
      backoffMs: 100,
      maxBackoffMs: 250,
    });
    for (let i = 1; i <= 3; i++) {
      const r = await follower.poll();
      expect(r.error).to.be.instanceOf(Error);
      expect(follower.cursor).to.equal(start + 1);
      expect(follower.consecutiveFailures).to.equal(i);
    }
    expect(follower.nextDelayMs).to.equal(250); // 100, 200, capped at 250
    const r = await follower.poll();
    expect(r.error).to.equal(undefined);
    expect(seen).to.have.length(2);
    expect(follower.consecutiveFailures).to.equal(0);
  });

  it("start() keeps polling through failures until stop()", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const start = await ethers.provider.getBlockNumber();
    const state = { failures: 2, calls: 0 };
    const seen: bigint[] = [];
    const follower = await flakyFollower(f, state, seen, { fromBlock: start + 1, pollIntervalMs: 20, backoffMs: 20 });
    const { jobId } = await f.request();
    follower.start();
    const deadline = Date.now() + 5_000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await follower.stop();
    expect(seen).to.deep.equal([jobId]);
    expect(state.calls).to.be.greaterThan(2);
  });
});

describe("node/lastLogUpTo", function () {
  /** A chain whose logs sit at `blocks`; records every range asked for. */
  const chain = (blocks: number[]) => {
    const calls: [number, number][] = [];
    const query = async (from: number, to: number) => {
      calls.push([from, to]);
      return blocks.filter((b) => b >= from && b <= to);
    };
    return { calls, query };
  };

  it("searches backwards in bounded ranges and stops at the range holding the last log", async function () {
    const { calls, query } = chain([12, 40, 44, 97]);
    expect(await lastLogUpTo(query, 95, { fromBlock: 3, maxRange: 10 })).to.equal(44);
    expect(calls).to.deep.equal([
      [86, 95],
      [76, 85],
      [66, 75],
      [56, 65],
      [46, 55],
      [36, 45],
    ]);
  });

  it("never reads below fromBlock nor past toBlock, and gives undefined when nothing is there", async function () {
    const { calls, query } = chain([2, 30]);
    expect(await lastLogUpTo(query, 25, { fromBlock: 5, maxRange: 8 })).to.equal(undefined);
    expect(calls).to.deep.equal([
      [18, 25],
      [10, 17],
      [5, 9],
    ]);
    // A recent event costs one call, whatever the chain's age.
    const recent = chain([999_990]);
    expect(await lastLogUpTo(recent.query, 1_000_000)).to.equal(999_990);
    expect(recent.calls).to.deep.equal([[998_001, 1_000_000]]);
  });
});

describe("node/JobJournal", function () {
  const tempFile = (name = "journal.jsonl") => path.join(mkdtempSync(path.join(tmpdir(), "veritas-journal-")), name);
  /** A writer's fields, typed: what `data` gives back. */
  type Fields = {
    job: { payment: bigint; requester: string };
    claim: { node: string; deliverBy: bigint };
    txHash: string;
  };

  it("replays states, fields (bigints included) and the cursor; ignores a torn last line", function () {
    const file = tempFile();
    const j = JobJournal.open<JobState, Fields>(file);
    j.record(7n, "seen", { job: { payment: 10n ** 30n, requester: "0xabc" } });
    j.record(7n, "claimed", { claim: { node: "0xdef", deliverBy: 99n } });
    j.record(8n, "skipped", { reason: "model not served" });
    j.setCursor(42);
    j.close();
    appendFileSync(file, '{"jobId":{"$n":"7"},"state":"subm'); // a crash mid-write

    const k = JobJournal.open<JobState, Fields>(file);
    expect(k.ignoredLines).to.equal(1);
    expect(k.cursor).to.equal(42);
    expect(k.stateOf(7n)).to.equal("claimed");
    expect(k.get(7n)!.data.job).to.deep.equal({ payment: 10n ** 30n, requester: "0xabc" });
    expect(k.get(7n)!.data.claim?.deliverBy).to.equal(99n);
    expect(k.get(8n)!.reason).to.equal("model not served");
    expect(k.pending().map((r) => r.jobId)).to.deep.equal([7n]);
    k.record(7n, "submitted", { txHash: "0x01" });
    k.close();
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(JSON.parse(lines[lines.length - 1]).state).to.equal("submitted");
    expect(JobJournal.open(file).stateOf(7n)).to.equal("submitted");
  });

  it("typed records round-trip bigints (nested, in arrays, beyond 2^64): what record returns is what a replay reads", function () {
    const file = tempFile();
    type Amounts = { amounts: bigint[]; nested: { x: bigint; label: string }; bond: bigint };
    const j = JobJournal.open<"open" | "done", Amounts>(file, { terminal: ["done"] });
    const fields = { amounts: [1n, 2n ** 200n, 0n], nested: { x: -5n, label: "$n" }, bond: 2n ** 64n + 1n };
    const written = j.record(1n, "open", fields);
    j.close();
    expect(written.data).to.deep.equal(fields);
    const replayed = JobJournal.open<"open" | "done", Amounts>(file, { terminal: ["done"] }).get(1n)!;
    expect(replayed.data).to.deep.equal(fields);
    const bond: bigint | undefined = replayed.data.bond; // typed: no cast
    expect(bond! - 1n).to.equal(2n ** 64n);
    expect(replayed.data.amounts!.map((a) => typeof a)).to.deep.equal(["bigint", "bigint", "bigint"]);
    // On disk a bigint is {"$n":"…"}, so it survives JSON; a plain string, even "$n", stays a string.
    expect(readFileSync(file, "utf8")).to.include('"bond":{"$n":"18446744073709551617"}');
    expect(replayed.data.nested).to.deep.equal({ x: -5n, label: "$n" });
  });

  it("takes its terminal states as an option: pending() leaves out the writer's own terminal states", function () {
    const file = tempFile();
    type Watched = "correct" | "challenged" | "resolved";
    const j = JobJournal.open<Watched>(file, { terminal: ["correct", "resolved"] });
    j.record(1n, "correct");
    j.record(2n, "challenged");
    j.record(3n, "challenged");
    j.record(3n, "resolved");
    expect(j.pending().map((r) => r.jobId)).to.deep.equal([2n]);
    j.close();
    const pendingOf = (terminal?: Watched[]) => JobJournal.open<Watched>(file, { terminal }).pending();
    expect(pendingOf(["correct", "resolved"]).map((r) => r.jobId)).to.deep.equal([2n]);
    // The operator's default set knows none of these states: every job would look unfinished.
    expect(pendingOf().map((r) => r.jobId)).to.deep.equal([1n, 2n, 3n]);
  });

  it("in memory: the same records, cursor and pending as a file's; closed, it refuses writes", function () {
    const m = JobJournal.memory<"open" | "done", { n: bigint }>({ terminal: ["done"] });
    expect(m.file).to.equal(undefined);
    expect(m.cursor).to.equal(undefined);
    expect(m.record(1n, "open", { n: 1n }).data.n).to.equal(1n);
    m.record(2n, "open");
    m.record(2n, "done", { n: 2n, reason: "finished" });
    m.setCursor(10);
    expect(m.cursor).to.equal(10);
    expect(m.pending().map((r) => r.jobId)).to.deep.equal([1n]);
    expect(m.get(2n)).to.include({ state: "done", reason: "finished" });
    expect(m.get(2n)!.history.map((e) => e.state)).to.deep.equal(["open", "done"]);
    expect(m.get(2n)!.data.n).to.equal(2n);
    m.close();
    expect(() => m.record(3n, "open")).to.throw(/closed/);
    expect(() => m.setCursor(11)).to.throw(/closed/);
    expect(m.get(3n)).to.equal(undefined);
  });

  it("an entry with a field named cursor is still a job's entry, not the follower's cursor", function () {
    const file = tempFile();
    const j = JobJournal.open(file);
    j.setCursor(5);
    j.record(1n, "seen", { cursor: 99 });
    j.close();
    const k = JobJournal.open(file);
    expect(k.cursor).to.equal(5);
    expect(k.stateOf(1n)).to.equal("seen");
    expect(k.get(1n)!.data.cursor).to.equal(99);
  });

  it("starts empty on a new file", function () {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "veritas-journal-")), "sub", "j.jsonl");
    const j = JobJournal.open(file);
    expect(j.jobs()).to.deep.equal([]);
    expect(j.cursor).to.equal(undefined);
    j.close();
  });
});
