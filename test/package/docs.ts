import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../../deploy/deployment.js";
import { parseNatSpec, renderReference } from "../../scripts/gen-docs.js";
import { describeOffChain } from "../helpers/offchain.js";

type AbiItem = { type: string; name?: string };

describeOffChain("docs/reference generator (NatSpec from the solc AST in Hardhat's build info)", function () {
  const { pages, index } = renderReference();
  const byName = new Map(pages.map((p) => [p.name, p]));

  it("writes one page per interface in contracts/interfaces, and an index linking them", function () {
    const interfaces = readdirSync(path.join(ROOT, "contracts", "interfaces"))
      .flatMap((f) =>
        [...readFileSync(path.join(ROOT, "contracts", "interfaces", f), "utf8").matchAll(/^interface (\w+)/gm)].map(
          (m) => m[1],
        ),
      )
      .sort();
    expect(pages.map((p) => p.name).sort()).to.deep.equal(interfaces);
    for (const p of pages) expect(index).to.contain(`[\`${p.name}\`](${p.name}.md)`);
  });

  it("lists every function, event and error of each interface's ABI (own or inherited from a listed base)", function () {
    for (const p of pages) {
      const abi = JSON.parse(readFileSync(path.join(ROOT, "artifacts", p.source, `${p.name}.json`), "utf8"))
        .abi as AbiItem[];
      // This page, and the pages of its bases, transitively (bases from dependencies are documented in the page).
      const seen = new Set<string>();
      const visit = (name: string): string[] => {
        const page = byName.get(name);
        if (!page || seen.has(name)) return [];
        seen.add(name);
        const bases = [...page.markdown.matchAll(/inherits (.*)$/gm)].flatMap((m) =>
          [...m[1].matchAll(/`(\w+)`/g)].map((b) => b[1]),
        );
        return [page.markdown, ...bases.flatMap(visit)];
      };
      const text = visit(p.name).join("\n");
      for (const item of abi.filter((i) => ["function", "event", "error"].includes(i.type))) {
        expect(text, `${p.name}: ${item.type} ${item.name}`).to.contain(`### \`${item.name}\``);
        expect(text).to.contain(`${item.type} ${item.name}(`);
      }
    }
  });

  it("carries the NatSpec: notices, parameter and field descriptions, selectors, and links to struct types", function () {
    const escrow = byName.get("IInferenceEscrow")!.markdown;
    expect(escrow).to.contain(
      "### `InsufficientBalance`\n\n```solidity\nerror InsufficientBalance(address account, uint256 balance, uint256 needed)\n```\n\nThe account holds less than needed.",
    );
    expect(escrow).to.contain("Selector: `0xdb42144d`");
    expect(escrow).to.contain("| `payment` | `uint96` | Escrowed payment, payment-token units. |");
    expect(escrow).to.contain("| `params` | [`RequestParams`](#struct-requestparams) |");
    expect(escrow).to.contain("| `jobId` | `JobId` | The job. |");
    expect(byName.get("INodeStaking")!.markdown).to.contain(
      "| `thawEnd` | `uint40` | When the thawing stake can be withdrawn. |",
    );
    expect(byName.get("ITeeResultVerifier")!.markdown).to.contain("inherits [`IResultVerifier`](IResultVerifier.md)");
    expect(byName.get("IModelRegistry")!.markdown).to.contain(
      "| `versionId` | `uint64` | The new global version id (starts at 1). |",
    );
  });

  it("parses NatSpec tags: multi-line notices, @dev, @param, @return", function () {
    const spec = parseNatSpec({
      text: "@title T\n @notice First line\n continues here.\n @dev A detail.\n @param amount How much.\n @param to Who\n gets it.\n @return ok Whether it worked.",
    });
    expect(spec).to.deep.equal({
      title: "T",
      notice: "First line continues here.",
      dev: "A detail.",
      params: { amount: "How much.", to: "Who gets it." },
      returns: ["ok Whether it worked."],
    });
    expect(parseNatSpec({ text: "Untagged text is the notice." }).notice).to.equal("Untagged text is the notice.");
  });
});
