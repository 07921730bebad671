import { expect } from "chai";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "../../deploy/deployment.js";
import { runCaptured } from "../helpers/rpc-node.js";
import { describeOffChain } from "../helpers/offchain.js";

const CHECK = ["tsx", "scripts/check-layers.ts"];

/** A project tree with these files (path -> source). */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "veritas-layers-"));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

describeOffChain("npm run lint:layers (scripts/check-layers.ts)", function () {
  it("passes on this project", async function () {
    const r = await runCaptured(path.join(ROOT, "node_modules", ".bin", CHECK[0]), [CHECK[1]], {});
    expect(r.stderr).to.equal("");
    expect(r.code).to.equal(0);
  });

  it("fails on src/ importing scripts/, on the packaged client importing a subdirectory, on tasks/ importing scripts/, on a test importing scripts/lib/, on zk/lib/ importing deploy/", async function () {
    const dir = tree({
      "src/jobs.ts": 'export { x } from "./zk.js";\nimport type { T } from "../typechain-types/index.js";\n',
      "src/zk.ts": 'import { prove } from "../scripts/lib/zk/prover.js";\n',
      "src/client.ts": 'import { pipelineFor } from "./models/pipelines/index.js";\n',
      "src/node/cli.ts": 'import { a } from "../jobs.js";\nconst t = await import("../../test/helpers/fixtures.js");\n',
      "tasks/lib.ts": 'import { b } from "../src/jobs.js";\nimport { c } from "../scripts/lib/deploy.js";\n',
      "deploy/modules/Veritas.ts": 'import { d } from "../../src/constants.js";\n',
      "test/gen.ts":
        'import { render } from "../scripts/gen-docs.js";\nimport { g } from "../scripts/lib/governance.js";\n',
      "zk/lib/prover.ts": 'import { f } from "../../src/zk.js";\nimport { s } from "../../deploy/suite.js";\n',
    });
    const r = await runCaptured(path.join(ROOT, "node_modules", ".bin", CHECK[0]), [CHECK[1], dir], {});
    expect(r.code).to.equal(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).to.equal("check-layers: 9 import(s) against the layering (CONTRIBUTING.md):");
    expect(lines.slice(1).map((l) => l.trim())).to.have.members([
      'src/zk.ts: imports "../scripts/lib/zk/prover.js" (scripts/lib/zk/prover.ts): src/ is the SDK: it imports only src/ and typechain-types/',
      'src/zk.ts: imports "../scripts/lib/zk/prover.js" (scripts/lib/zk/prover.ts): src/*.ts is the npm package\'s client: it imports only src/*.ts and typechain-types/',
      'src/client.ts: imports "./models/pipelines/index.js" (src/models/pipelines/index.ts): src/*.ts is the npm package\'s client: it imports only src/*.ts and typechain-types/',
      'src/node/cli.ts: imports "../../test/helpers/fixtures.js" (test/helpers/fixtures.ts): src/ is the SDK: it imports only src/ and typechain-types/',
      'tasks/lib.ts: imports "../scripts/lib/deploy.js" (scripts/lib/deploy.ts): nothing but scripts/ and test/ imports scripts/',
      'src/zk.ts: imports "../scripts/lib/zk/prover.js" (scripts/lib/zk/prover.ts): scripts/lib/ holds the commands\' own helpers: nothing outside scripts/ imports it',
      'tasks/lib.ts: imports "../scripts/lib/deploy.js" (scripts/lib/deploy.ts): scripts/lib/ holds the commands\' own helpers: nothing outside scripts/ imports it',
      'test/gen.ts: imports "../scripts/lib/governance.js" (scripts/lib/governance.ts): scripts/lib/ holds the commands\' own helpers: nothing outside scripts/ imports it',
      'zk/lib/prover.ts: imports "../../deploy/suite.js" (deploy/suite.ts): zk/lib/ is a library: it imports only zk/lib/, src/ and typechain-types/',
    ]);
  });
});
