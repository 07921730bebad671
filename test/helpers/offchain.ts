import { UNDER_COVERAGE } from "./rpc-node.js";

/**
 * `describe` for tests that run no contract code on this process's in-process chain: lints, generators, bundles, and
 * chains in child processes (`hardhat node`, anvil, an installed package). `npm test` runs them; under
 * `hardhat test --coverage` (the coverage gate) they are skipped, since coverage is measured on the in-process chain
 * only: they would add time and no figure.
 */
export function describeOffChain(title: string, fn: (this: Mocha.Suite) => void): void {
  if (UNDER_COVERAGE) describe.skip(title, fn);
  else describe(title, fn);
}
