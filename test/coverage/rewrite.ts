import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { addStatementCoverageInstrumentation } from "@nomicfoundation/edr";
import { ROOT } from "../../deploy/deployment.js";
import { referenceStatements } from "../../scripts/coverage/hooks/solidity.js";
import { parseSolidity, rewriteForBranchCoverage, translateStatements } from "../../scripts/coverage/rewrite.js";
import { describeOffChain } from "../helpers/offchain.js";

const VERSION = "0.8.30";

function instrument(sourceName: string, source: string) {
  return addStatementCoverageInstrumentation(source, sourceName, VERSION)
    .metadata.filter((m) => m.kind === "statement")
    .map((m) => ({ tag: Buffer.from(m.tag).toString("hex"), startUtf16: m.startUtf16, endUtf16: m.endUtf16 }));
}

/** Rewrites, instruments the result as Hardhat does, and maps it back (throws on any mismatch). */
function branchMap(sourceName: string, source: string) {
  const rw = rewriteForBranchCoverage(source, parseSolidity(sourceName, source));
  const reference = referenceStatements({
    original: source,
    relativePath: sourceName,
    instrumentationVersion: VERSION,
  });
  return { rw, ...translateStatements(sourceName, source, rw, instrument(sourceName, rw.source), reference) };
}

describeOffChain("Branch coverage rewrite (scripts/coverage)", function () {
  this.timeout(120_000);
  it("makes both sides of if/require and each try clause a tagged statement, keeping the original statements", function () {
    const source = [
      "pragma solidity ^0.8.0;",
      "contract C {",
      "    error E(uint256 x);",
      "    function f(bool c, uint256 x) external returns (uint256 y) {",
      "        require(c, E(x));",
      '        require(x > 1, "x");',
      "        require(x > 2);",
      "        if (c) y = 1;",
      "        if (x > 3) {",
      "            y = 2;",
      "        } else if (x > 4) {",
      "            y = 3;",
      "        } // trailing",
      "        try this.f(c, x) returns (uint256 v) {",
      "            y = v;",
      "        } catch {}",
      "        if (c) require(x > 5, E(x));",
      "    }",
      "}",
    ].join("\n");
    const { rw, kept, branches } = branchMap("C.sol", source);
    expect(rw.source.split("\n").length, "line count").to.equal(source.split("\n").length);
    expect(rw.source).to.contain("if (!(c)) { require(false, E(x)); } else { }");
    expect(rw.source).to.contain('if (!(x > 1)) { require(false, "x"); } else { }');
    expect(rw.source).to.contain("if (!(x > 2)) { require(false); } else { }");
    expect(branches.map((b) => `${b.kind}@${b.line}:${b.arms.map((a) => a.label).join("/")}`)).to.deep.equal([
      "require@5:revert/pass",
      "require@6:revert/pass",
      "require@7:revert/pass",
      "if@8:then/else",
      "if@9:then/else",
      "if@11:then/else",
      "try@14:success/catch1",
      "if@17:then/else",
      "require@17:revert/pass",
    ]);
    const tags = branches.flatMap((b) => b.arms.map((a) => a.tag));
    expect(new Set(tags).size, "every side has its own tag").to.equal(tags.length);
    expect(kept.length).to.equal(instrument("C.sol", source).length);
  });

  it("maps every statement of every contract back to the original source", function () {
    const files: string[] = [];
    const collect = (dir: string) => {
      for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
        const rel = path.join(dir, entry.name);
        if (entry.isDirectory() && rel !== path.join("contracts", "mocks")) collect(rel);
        else if (entry.name.endsWith(".sol")) files.push(rel);
      }
    };
    collect("contracts");
    let branchCount = 0;
    for (const file of files) {
      const { branches } = branchMap(file, readFileSync(path.join(ROOT, file), "utf8"));
      branchCount += branches.length;
    }
    expect(files.length).to.be.greaterThan(10);
    expect(branchCount).to.be.greaterThan(100);
  });
});
