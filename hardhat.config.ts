import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";
import branchCoverage from "./scripts/coverage/plugin.js";
import { veritasTasks } from "./tasks/index.js";

// Offline compiler: the npm `solc` package's WebAssembly build. Its exact pin in package.json is the
// single source of truth for the version (Hardhat does not check that `path` matches `version`).
const require = createRequire(import.meta.url);
const solcVersion: string = require("solc/package.json").version;
const solcPath: string = require.resolve("solc/soljson.js");

const solc = (optimizer: { enabled: boolean; runs?: number }, viaIR: boolean) => ({
  version: solcVersion,
  path: solcPath,
  settings: { optimizer, evmVersion: "cancun", viaIR },
});

// contracts/: 800 optimizer runs, the most that keeps InferenceEscrow under the 24,576-byte limit (EIP-170).
const production = solc({ enabled: true, runs: 800 }, true);

// Solidity tests import interfaces only and deploy the contracts from this build's artifacts (`vm.getCode`, see
// test/helpers/Deployed.sol), so they exercise the deployed bytecode and nothing is compiled twice. The test files
// themselves need no optimizer: compiled without viaIR they take 47 s cold instead of 2-3 minutes (CONTRIBUTING.md).
const testDir = fileURLToPath(new URL("./test", import.meta.url));
const solidityTests = Object.fromEntries(
  readdirSync(testDir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".t.sol"))
    .map((file) => [`test/${file.split(path.sep).join("/")}`, solc({ enabled: false }, false)]),
);
const profile = { compilers: [production], overrides: solidityTests };

export default defineConfig({
  // branchCoverage: in `--coverage` runs only, makes every if/require side a statement Hardhat counts (scripts/coverage).
  plugins: [hardhatToolboxMochaEthers, branchCoverage],
  // `npx hardhat veritas <command>`: the operators' and requesters' CLI (tasks/).
  tasks: veritasTasks,
  solidity: {
    profiles: {
      default: profile,
      production: profile,
    },
  },
  paths: {
    ignition: "deploy",
  },
  // Solidity test profiles (docs/invariants.md). `default` is the CI budget; `deep` (`npx hardhat test solidity
  // --test-profile deep`, or HARDHAT_TEST_PROFILE=deep) runs the invariant and fuzz campaigns several times longer. The
  // runs and depth of each campaign are set per test function, per profile (`hardhat-config: deep.invariant.runs = ...`).
  test: {
    // Mocha test files run in parallel worker processes: at least two (both cores of the reference machine; mocha's
    // default is one less than the CPU count), at most four. Each file gets its own in-process chain; files that start
    // a JSON-RPC node use their own port and deployment record (test/helpers/rpc-node.ts). Coverage and gas statistics
    // are collected from the workers.
    // VERITAS_MOCHA_SERIAL=1 runs them in this process (a worker cannot report an error holding a bigint).
    mocha: {
      parallel: process.env.VERITAS_MOCHA_SERIAL !== "1",
      jobs: Math.min(4, Math.max(2, availableParallelism())),
    },
    solidity: {
      profiles: {
        default: { fuzz: { runs: 128 } },
        deep: { fuzz: { runs: 1_024 } },
      },
    },
  },
  typechain: {
    outDir: "typechain-types",
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    // A local JSON-RPC node (`npx hardhat node`, or anvil). VERITAS_LOCAL_RPC overrides the URL (tests use other ports).
    localhost: { type: "http", url: process.env.VERITAS_LOCAL_RPC ?? "http://127.0.0.1:8545" },
    // Public testnets: URLs and keys only from configuration variables (env or `npx hardhat keystore set NAME`),
    // resolved when the network is used, so nothing here needs them offline.
    sepolia: testnet("SEPOLIA"),
    "base-sepolia": testnet("BASE_SEPOLIA"),
    "arbitrum-sepolia": testnet("ARBITRUM_SEPOLIA"),
  },
  // Explorer verification (`npx hardhat ignition verify chain-<id>` or `--verify` on deploy); the key is only read then.
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
  },
  // Test doubles are not part of the protocol: no coverage figures for them (`npm run coverage:check`).
  coverage: {
    skipFiles: ["contracts/mocks/**"],
  },
});

function testnet(prefix: string) {
  return {
    type: "http" as const,
    chainType: "l1" as const,
    url: configVariable(`${prefix}_RPC_URL`),
    accounts: [configVariable(`${prefix}_PRIVATE_KEY`)],
  };
}
