import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

// Offline compiler: the npm `solc` package's WebAssembly build. Its exact pin in package.json is the
// single source of truth for the version (Hardhat does not check that `path` matches `version`).
const require = createRequire(import.meta.url);
const solcVersion: string = require("solc/package.json").version;
const solcPath: string = require.resolve("solc/soljson.js");

const compiler = (runs: number) => ({
  version: solcVersion,
  path: solcPath,
  settings: {
    optimizer: { enabled: true, runs },
    evmVersion: "cancun",
    viaIR: true,
  },
});

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    profiles: {
      default: compiler(10_000),
      production: compiler(10_000),
    },
  },
  paths: {
    ignition: "deploy",
  },
  typechain: {
    outDir: "typechain-types",
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    localhost: { type: "http", url: "http://127.0.0.1:8545" },
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
  },
});
