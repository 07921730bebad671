/**
 * Hardhat plugin: branch coverage for `hardhat test --coverage`.
 *
 * Hardhat 3 instruments statements only (EDR reports no branch data). In coverage builds this plugin rewrites each
 * project source under contracts/ (mocks excepted) just before Hardhat instruments it, so that both sides of every
 * `if` and `require` and every try/catch clause are statements Hardhat tags (scripts/coverage/rewrite.ts). It then
 *  - translates the statement positions Hardhat records back to the original file and drops the statements the
 *    rewrite added, so Hardhat's own report (lcov.info, html, table) is the same as without the rewrite (checked
 *    against a separate instrumentation of the original source on every file);
 *  - writes coverage/branch-map/<file>.json: each branch with the tag Hardhat counts when it runs.
 * `npm run coverage:check` (scripts/coverage/check.ts) joins the branch map with Hardhat's hit data
 * (coverage/data/*) and its lcov.info. Outside `--coverage` the plugin does nothing.
 */
import type { HardhatPlugin } from "hardhat/types/plugins";

const branchCoveragePlugin: HardhatPlugin = {
  id: "veritas-branch-coverage",
  hookHandlers: {
    solidity: () => import("./hooks/solidity.js"),
  },
};

export default branchCoveragePlugin;
