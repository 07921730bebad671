import { expect } from "chai";
import { execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { HDNodeWallet, hexlify } from "ethers";
import { Mode, modeBit } from "../helpers/constants.js";
import { ROOT, type DeploymentRecord } from "../../deploy/deployment.js";
import { readBundleDir, versionDigests } from "../../src/models/bundle.js";
import { familyModelOf } from "../../src/models/pipelines/quantized-mlp.js";
import { encodeOutput, forward } from "../../src/models/zk/family.js";
import { MlpGroth16Verifier__factory, MockUSD__factory } from "../../typechain-types/index.js";
import { referenceBundle } from "../helpers/node.js";
import { onboardTeeNode } from "../helpers/onboard.js";
import { startRegistry, type LocalRegistry } from "../helpers/registry.js";
import { deployTo, PROJECT_ENV, startNode, UNDER_COVERAGE, type RpcNode } from "../helpers/rpc-node.js";
import { ZK_INPUT } from "../helpers/zk.js";
import { commitInput, toBytes32 } from "../../src/zk.js";

const run = promisify(execFile);
const NODE_PACKAGE = "@veritas-protocol/node";
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

/** The reference model's output for `x` (its logits and label, as the escrow stores them), computed here. */
function referenceOutput(x: readonly number[]): Uint8Array {
  const { logits, label } = forward(familyModelOf(readBundleDir(referenceBundle())).model, x);
  return encodeOutput(logits, label);
}
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
/** The environment of an integrator's project: the machine's own Node (no node_modules/.bin of this repo on PATH). */
const USER_ENV = {
  ...process.env,
  PATH: (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((p) => !p.endsWith(path.join("node_modules", ".bin")))
    .join(path.delimiter),
};

/** The integrator's script: ESM, plain JavaScript, importing the package by name. */
const SCRIPT = `
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { JsonRpcProvider } from "ethers";
import { VeritasClient, VeritasError, decodeVeritasError, Mode } from "${PACKAGE.name}";
import { InferenceEscrow__factory } from "${PACKAGE.name}/types";
import escrowAbi from "${PACKAGE.name}/abi/InferenceEscrow.json" with { type: "json" };
import { inferenceEscrowAbi, iInferenceEscrowAbi } from "${PACKAGE.name}/abis";

const provider = new JsonRpcProvider(process.env.RPC_URL, undefined, { polling: true, pollingInterval: 100 });
const signer = await provider.getSigner(Number(process.env.ACCOUNT));
const say = (...a) => console.log(...a);
say("NODE " + process.version);
say("ABI " + escrowAbi.filter((f) => f.type === "error").length + " errors");
say("ABI-CONST " + (JSON.stringify(inferenceEscrowAbi) === JSON.stringify(escrowAbi)) + " " + iInferenceEscrowAbi.length);

// No deployment is packaged for a local chain: the packaged lookup must say so.
try {
  await VeritasClient.connect(provider);
  say("PACKAGED-31337 found");
} catch (e) {
  say("PACKAGED-31337 " + e.code + " " + e.message);
}

// A record in the installed package's deployments/ is found by chain id (as a public network's would be).
const packaged = new URL("./node_modules/${PACKAGE.name}/deployments/", import.meta.url);
mkdirSync(packaged, { recursive: true });
writeFileSync(new URL("31337.json", packaged), readFileSync(process.env.DEPLOYMENT));
const viaPackaged = await VeritasClient.connect(signer);
say("PACKAGED-LOOKUP " + viaPackaged.addresses.escrow + " fromBlock=" + viaPackaged.fromBlock);
rmSync(new URL("31337.json", packaged));

const client = await VeritasClient.connect(signer, { deployment: readFileSync(process.env.DEPLOYMENT, "utf8"), pollInterval: 100 });
say("TYPES " + (client.escrow.interface === undefined ? "missing" : typeof InferenceEscrow__factory.connect));
// A TEE job of the model version the node serves, from its raw int8 input (inline, keccak256 of its JSON text).
const params = { versionId: 1n, mode: Mode.TEE, payment: 1_000_000n, input: JSON.parse(process.env.INPUT) };

// Before any deposit the request reverts: the client throws a VeritasError, decoded.
try {
  await client.requestInference(params);
  say("REVERT none");
} catch (e) {
  say("REVERT " + (e instanceof VeritasError) + " " + e.code + " " + decodeVeritasError(e)?.message);
}

await client.deposit(5_000_000n);
say("BALANCE " + (await client.balanceOf()));
const { jobId } = await client.requestInference(params);
say("JOB " + jobId);
const result = await client.waitForVerifiedResult(jobId, { timeout: 60_000 });
say("RESULT " + result.output + " node=" + result.node + " nodeFee=" + result.nodeFee);
say("VERIFIED " + result.verification.mode + " enclave=" + result.verification.enclaveKey);
const info = await client.getJob(jobId);
say("STATUS " + info.status + " requester=" + info.job.requester);
// The role clients, alone: the reader and the verification of the same client.
const { reader, verification } = client;
say("ROLES " + (await reader.getJob(jobId)).status + " " + (await verification.verificationOf(result)).enclaveKey);
provider.destroy();
`;

/** The integrator's viem script: a ZK job from a raw int8 input, over viem clients (no ethers in the script). */
const VIEM_SCRIPT = `
import { createPublicClient, createWalletClient, http } from "viem";
import { readFileSync } from "node:fs";
import { createVeritasClient, Mode, VeritasError } from "${PACKAGE.name}/viem";

const transport = http(process.env.RPC_URL);
const publicClient = createPublicClient({ transport, pollingInterval: 100 });
const walletClient = createWalletClient({ account: process.env.ACCOUNT_ADDRESS, transport });
const veritas = await createVeritasClient({
  publicClient,
  walletClient,
  deployment: readFileSync(process.env.DEPLOYMENT, "utf8"),
  pollInterval: 100,
});
const say = (...a) => console.log(...a);

// A revert, decoded from viem's error into the same VeritasError as the ethers client's.
try {
  await veritas.withdraw(10n ** 30n);
  say("VIEM-REVERT none");
} catch (e) {
  say("VIEM-REVERT " + (e instanceof VeritasError) + " " + e.code + " " + e.decoded?.name);
}
await veritas.deposit(2_000_000n);
const input = JSON.parse(process.env.INPUT);
const req = await veritas.requestInference({ versionId: 1n, mode: Mode.ZK, payment: 1_000_000n, input });
say("VIEM-JOB " + req.jobId + " digest=" + req.job.inputDigest + " uri=" + req.inputURI);
const result = await veritas.waitForVerifiedResult(req.jobId, { timeout: 120_000 });
say("VIEM-RESULT " + result.output + " node=" + result.node);
say("VIEM-VERIFIED " + result.verification.mode + " verifier=" + result.verification.verifier);
say("VIEM-STATUS " + (await veritas.getJob(req.jobId)).status);
say("VIEM-ROLES " + (await veritas.reader.getJob(req.jobId)).status + " " + (await veritas.modelOwner.getVersion(1n)).modes.join(","));
`;

const CHECK_TS = `
import {
  VeritasClient,
  VeritasError,
  VeritasRevertError,
  decodeVeritasError,
  Mode,
  type InferenceResult,
  type Job,
  type NodeInfo,
  type VeritasErrorCode,
} from "${PACKAGE.name}";
import { InferenceEscrow__factory, type InferenceEscrow } from "${PACKAGE.name}/types";
import type { Signer } from "ethers";
import { inferenceEscrowAbi } from "${PACKAGE.name}/abis";
import { createVeritasClient, type JobInfo, type ModelVersion, type VeritasViemClient } from "${PACKAGE.name}/viem";
import { createPublicClient, createWalletClient, http } from "viem";

// The ABIs are typed literally (\`as const\`): a function's name, inputs and outputs are types, as viem reads them.
type EscrowItem = (typeof inferenceEscrowAbi)[number];
type RequestInference = Extract<EscrowItem, { type: "function"; name: "requestInference" }>;
export const requestName: RequestInference["name"] = "requestInference";
export const firstInput: RequestInference["inputs"][0]["type"] = "tuple";
// @ts-expect-error: the escrow has no such function, so its type is never
export const missing: Extract<EscrowItem, { name: "noSuchFunction" }>["name"] = "noSuchFunction";

export async function typed(signer: Signer): Promise<string> {
  const client: VeritasClient = await VeritasClient.connect(signer);
  const escrow: InferenceEscrow = InferenceEscrow__factory.connect(client.addresses.escrow, signer);
  const job: Job = (await client.getJob(1n)).job;
  const result: InferenceResult = await client.waitForResult(job.nonce, { timeout: 1 });
  const balance: bigint = await escrow.balanceOf(await signer.getAddress());
  return result.output + balance.toString() + (decodeVeritasError(new Error("x"))?.name ?? "");
}

// viem: the client over viem clients, and the typed escrow contract (viem infers the call's types from the ABI).
export async function typedViem(): Promise<bigint> {
  const publicClient = createPublicClient({ transport: http("http://127.0.0.1:8545") });
  const walletClient = createWalletClient({ account: "0x0000000000000000000000000000000000000001", transport: http() });
  const veritas: VeritasViemClient = await createVeritasClient({ publicClient, walletClient });
  const info: JobInfo = await veritas.getJob(1n);
  const balance: bigint = await veritas.escrow.read.balanceOf([info.job.requester as \`0x\${string}\`]);
  // @ts-expect-error: balanceOf takes one address, not a number
  await veritas.escrow.read.balanceOf([1n]);
  // The role clients: the same types as the ethers client's.
  const version: ModelVersion = await veritas.modelOwner.getVersion(1n);
  // @ts-expect-error: a node's modes are Mode values in an array, not a bit mask
  await veritas.operator.registerNode("https://node.example", 2);
  return balance + version.royalty;
}

// Role clients and coded errors.
export async function roles(signer: Signer): Promise<VeritasErrorCode | string> {
  const { operator, modelOwner, requester } = await VeritasClient.connect(signer);
  await operator.registerNode("https://node.example", [Mode.TEE]);
  const node: NodeInfo = await operator.getNode();
  const { versionId } = await modelOwner.publishVersion(1n, {
    weightsDigest: "0x01", ioSchemaDigest: "0x02", artifactURI: "ipfs://x", royalty: 1n, modes: [Mode.TEE],
  });
  try {
    await requester.withdraw(node.staked + versionId);
  } catch (e) {
    if (e instanceof VeritasRevertError) return e.errorName;
    if (e instanceof VeritasError) return e.code;
  }
  return "none";
}
`;

// Not under `--coverage` (the coverage gate): it measures the contracts, which this file only deploys and calls as
// other files do, and its minute of packing and installing would run a second time in CI for nothing.
(UNDER_COVERAGE ? describe.skip : describe)(
  "npm packages (the SDK and the node packed, installed by name in a scratch project from a local registry, jobs on hardhat node)",
  function () {
    this.timeout(180_000);
    let node: RpcNode;
    let record: DeploymentRecord;
    let scratch: string;
    let tarball: string;
    let nodeTarball: string;
    let packed: string[];
    let nodePacked: string[];
    let registry: LocalRegistry;
    let installSeconds: number;

    before(async function () {
      node = await startNode("hardhat");
      // Deploy first: deployments/31337.json then exists, and the package must still leave it out.
      ({ record } = await deployTo(node, { inProject: true }));

      scratch = mkdtempSync(path.join(tmpdir(), "veritas-integrator-"));
      // `npm pack` runs `prepack` (npm run build:package): ABIs, TypeChain types and the client compiled into dist/.
      // The node package compiles against that dist/, then is packed from build/node-package/.
      await run("npm", ["pack", "--pack-destination", scratch], { cwd: ROOT, env: PROJECT_ENV, maxBuffer: 64 << 20 });
      await run("npm", ["run", "build:node-package"], { cwd: ROOT, env: PROJECT_ENV, maxBuffer: 64 << 20 });
      await run("npm", ["pack", "./build/node-package", "--pack-destination", scratch], {
        cwd: ROOT,
        env: PROJECT_ENV,
        maxBuffer: 64 << 20,
      });
      tarball = path.join(scratch, tarballName(PACKAGE.name));
      nodeTarball = path.join(scratch, tarballName(NODE_PACKAGE));
      packed = await listTarball(tarball);
      nodePacked = await listTarball(nodeTarball);

      writeFileSync(
        path.join(scratch, "package.json"),
        JSON.stringify({ name: "integrator", version: "1.0.0", private: true, type: "module" }),
      );
      // An integrator's install, by name, from a registry: a local one serving the two tarballs and every package of
      // this repository's node_modules (the versions its lockfile pins), with an empty npm cache. Install scripts are
      // skipped as in this repository (.npmrc: onnxruntime-node downloads nothing; its CPU build is in its package).
      registry = await startRegistry({
        nodeModules: path.join(ROOT, "node_modules"),
        tarballs: [tarball, nodeTarball],
      });
      const t0 = Date.now();
      await run(
        "npm",
        [
          "install",
          PACKAGE.name,
          NODE_PACKAGE,
          "ethers",
          "viem",
          ...["--registry", registry.url, "--cache", path.join(scratch, ".npm-cache")],
          ...["--ignore-scripts", "--no-audit", "--no-fund"],
        ],
        { cwd: scratch, env: USER_ENV, maxBuffer: 64 << 20 },
      );
      installSeconds = (Date.now() - t0) / 1000;
    });

    after(async function () {
      await node?.stop();
      await registry?.stop();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    it("packs the sources without mocks, the ABIs, the compiled client and types, and no local deployment", function () {
      const files = packed.map((f) => f.replace(/^package\//, ""));
      const required = [
        "package.json",
        "README.md",
        "contracts/VeritasConsumer.sol",
        "contracts/examples/RiskGatedPayout.sol",
        "contracts/interfaces/IInferenceEscrow.sol",
        "contracts/libraries/JobId.sol",
        "abi/InferenceEscrow.json",
        "abi/IInferenceEscrow.json",
        "abi/ModelRegistry.json",
        "dist/index.js",
        "dist/index.d.ts",
        "dist/client.js",
        "dist/abis.js",
        "dist/abis.d.ts",
        "dist/viem.js",
        "dist/viem.d.ts",
        "dist/client-core.js",
        "dist/types/index.js",
        "dist/types/index.d.ts",
        "dist/types/factories/InferenceEscrow__factory.js",
        "docs/integrating.md",
      ];
      expect(
        required.filter((f) => !files.includes(f)),
        "missing from the package",
      ).to.deep.equal([]);
      expect(existsSync(path.join(ROOT, "deployments", "31337.json"))).to.equal(true);
      // Public deployments are packed; the local chain's record never is.
      const publicRecords = readdirSync(path.join(ROOT, "deployments")).filter(
        (f) => f.endsWith(".json") && f !== "31337.json",
      );
      expect(files.filter((f) => f.startsWith("deployments/")).sort()).to.deep.equal(
        publicRecords.map((f) => `deployments/${f}`).sort(),
      );
      expect(files).to.not.include("deployments/31337.json");
      expect(
        files.filter((f) => /mocks?\b|Mock/i.test(f)),
        "mocks",
      ).to.deep.equal([]);
      expect(
        files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")),
        "TypeScript sources",
      ).to.deep.equal([]);
      expect(
        files.filter((f) => f.includes("hardhat.d.ts") || f.startsWith("test/") || f.startsWith("scripts/")),
      ).to.deep.equal([]);
      const escrowAbi = JSON.parse(readFileSync(path.join(ROOT, "abi", "InferenceEscrow.json"), "utf8")) as {
        type: string;
        name?: string;
      }[];
      expect(escrowAbi.some((f) => f.type === "error" && f.name === "InsufficientBalance")).to.equal(true);
    });

    it("type-checks an integrator's TypeScript against the packed declarations", async function () {
      expect(existsSync(path.join(scratch, "node_modules", "ethers", "package.json"))).to.equal(true);
      writeFileSync(path.join(scratch, "check.ts"), CHECK_TS);
      writeFileSync(
        path.join(scratch, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            module: "nodenext",
            moduleResolution: "nodenext",
            target: "es2022",
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            types: [],
          },
          files: ["check.ts"],
        }),
      );
      const tsc = await run(path.join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "."], {
        cwd: scratch,
        env: PROJECT_ENV,
      }).catch((e: { stdout: string }) => ({ stdout: e.stdout, failed: true }));
      expect(tsc.stdout).to.equal("");
    });

    it("compiles the Solidity example of docs/integrating.md against the installed package (solc 0.8.30)", function () {
      const doc = readFileSync(path.join(ROOT, "docs", "integrating.md"), "utf8");
      const source = /```solidity\n([\s\S]*?contract \w+ is VeritasConsumer[\s\S]*?)```/.exec(doc)?.[1];
      expect(source, "a VeritasConsumer example in docs/integrating.md").to.be.a("string");
      const solc = createRequire(import.meta.url)("solc") as {
        version: () => string;
        compile: (input: string, cb: object) => string;
      };
      expect(solc.version()).to.match(/^0\.8\.30\+/);
      const input = {
        language: "Solidity",
        sources: { "Example.sol": { content: source } },
        settings: { evmVersion: "cancun", outputSelection: { "*": { "*": ["abi"] } } },
      };
      // Imports of the package resolve inside the scratch project; OpenZeppelin (an optional peer) from this repository.
      const findImports = (p: string) => {
        const base = p.startsWith(PACKAGE.name + "/")
          ? path.join(scratch, "node_modules")
          : path.join(ROOT, "node_modules");
        const file = path.join(base, p);
        return existsSync(file) ? { contents: readFileSync(file, "utf8") } : { error: `not found: ${p}` };
      };
      const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as {
        errors?: { severity: string; formattedMessage: string }[];
        contracts: Record<string, Record<string, { abi: { name?: string }[] }>>;
      };
      const errors = (output.errors ?? []).filter((e) => e.severity === "error").map((e) => e.formattedMessage);
      expect(errors).to.deep.equal([]);
      const [name, compiled] = Object.entries(output.contracts["Example.sol"])[0];
      expect(compiled.abi.map((f) => f.name)).to.include.members(["onInferenceResult", "escrow"]);
      expect(
        Object.keys(output.contracts).some((f) => f.startsWith(`${PACKAGE.name}/contracts/VeritasConsumer.sol`)),
        name,
      ).to.equal(true);
    });

    it("packs the node as its own package: the compiled operator and watcher, its bin, every dependency pinned", async function () {
      const files = nodePacked.map((f) => f.replace(/^package\//, ""));
      expect(files).to.include.members([
        "package.json",
        "README.md",
        "bin/veritas-node.js",
        "dist/node/cli.js",
        "dist/node/index.js",
        "dist/node/index.d.ts",
        "dist/node/watcher.js",
        "dist/models/pipelines/quantized-mlp.js",
        "dist/models/zk/prove.js",
      ]);
      expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).to.deep.equal([]);
      // Repository-only: the recipes' materializer.
      expect(files.filter((f) => f.includes("materialize"))).to.deep.equal([]);
      const installed = JSON.parse(
        readFileSync(path.join(scratch, "node_modules", ...NODE_PACKAGE.split("/"), "package.json"), "utf8"),
      ) as { dependencies: Record<string, string>; bin: Record<string, string> };
      expect(installed.bin).to.deep.equal({ "veritas-node": "./bin/veritas-node.js" });
      expect(installed.dependencies[PACKAGE.name]).to.equal(PACKAGE.version);
      const pinned = { ...PACKAGE.devDependencies, ...PACKAGE.dependencies };
      for (const [name, version] of Object.entries(installed.dependencies))
        if (name !== PACKAGE.name && name !== "ethers") expect(version, name).to.equal(pinned[name]);
      // The SDK no longer carries the node's dependencies nor a bin that would clash with the node's.
      const sdk = JSON.parse(
        readFileSync(path.join(scratch, "node_modules", ...PACKAGE.name.split("/"), "package.json"), "utf8"),
      ) as { bin?: unknown; dependencies?: Record<string, string> };
      expect(sdk.bin).to.equal(undefined);
      expect(Object.keys(sdk.dependencies ?? {})).to.deep.equal(["poseidon-lite"]);
      // Its library entries load in the scratch project (on the machine's Node).
      writeFileSync(
        path.join(scratch, "probe.mjs"),
        `import { VeritasNode, Watcher, EventFollower } from "${NODE_PACKAGE}";\n` +
          `import { requestTypedInference } from "${NODE_PACKAGE}/typed";\n` +
          "console.log([VeritasNode, Watcher, EventFollower, requestTypedInference].map((f) => typeof f).join(' '));\n",
      );
      expect((await runIn(scratch, "probe.mjs", USER_ENV)).trim()).to.equal("function function function function");
      console.log(
        `      (npm install of both packages, ethers and viem from the local registry: ${installSeconds.toFixed(1)} s, ` +
          `${registry.served.length} tarballs)`,
      );
    });

    it("runs `npx veritas-node` from the scratch project; a TEE job requested with ethers and a ZK job from a raw input requested with viem are served and verified", async function () {
      const p = node.provider;
      const c = record.contracts;
      // The reference model (its bundle's digests, its Groth16 verifier) for ZK and TEE, a node staked for both.
      const bundle = referenceBundle();
      const digests = versionDigests(readBundleDir(bundle).manifest);
      const groth16 = await (await new MlpGroth16Verifier__factory(await p.getSigner(0)).deploy()).waitForDeployment();
      const { deployer, operator, requester, measurement, enclave, enclaveKey } = await onboardTeeNode(p, record, {
        tag: "pack-test",
        weightsDigest: digests.weightsDigest,
        ioSchemaDigest: digests.ioSchemaDigest,
        modes: modeBit(Mode.TEE) | modeBit(Mode.ZK),
        zkVerifier: await groth16.getAddress(),
      });
      const operatorAddress = await operator.getAddress();
      const requesterAddress = await requester.getAddress();
      await (await MockUSD__factory.connect(c.paymentToken, deployer).mint(requesterAddress, 10_000_000n)).wait();

      // The operator's side, from the scratch project: the installed package's bin, its configuration, the bundle.
      const deploymentFile = path.join(scratch, "deployment.json");
      writeFileSync(deploymentFile, JSON.stringify(record));
      cpSync(bundle, path.join(scratch, "bundle"), { recursive: true });
      writeFileSync(
        path.join(scratch, "node.json"),
        JSON.stringify({
          deployment: "deployment.json",
          models: [{ versionId: 1, modelId: 1, bundle: "./bundle" }],
          modes: ["tee", "zk"],
          enclave: { measurement },
          minFee: "0",
          journalPath: "journal.jsonl",
          teeBatchSize: 1,
          teeMaxWaitMs: 0,
          pollIntervalMs: 100,
        }),
      );
      const operatorWallet = HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, "m/44'/60'/0'/0/4");
      expect(operatorWallet.address).to.equal(operatorAddress);
      // Its own process group: stopped as a terminal's Ctrl-C would, npx and the node together.
      const veritasNode = spawn("npx", ["veritas-node", "--config", "node.json", "--rpc", node.url], {
        cwd: scratch,
        detached: true,
        env: { ...USER_ENV, VERITAS_NODE_KEY: operatorWallet.privateKey, VERITAS_ENCLAVE_KEY: enclaveKey.privateKey },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let nodeOut = "";
      let nodeErr = "";
      veritasNode.stdout.on("data", (d) => (nodeOut += d));
      veritasNode.stderr.on("data", (d) => (nodeErr += d));
      const nodeExited = new Promise<number | null>((resolve) => veritasNode.on("close", resolve));

      // The integrator's scripts, on the machine's Node.
      const env = {
        ...USER_ENV,
        RPC_URL: node.url,
        ACCOUNT: "5",
        DEPLOYMENT: deploymentFile,
        INPUT: JSON.stringify(ZK_INPUT),
      };
      writeFileSync(path.join(scratch, "ethers.mjs"), SCRIPT);
      writeFileSync(path.join(scratch, "viem.mjs"), VIEM_SCRIPT);
      let lines: string[];
      try {
        lines = (await runIn(scratch, "ethers.mjs", env)).trim().split("\n");
        lines.push(
          ...(await runIn(scratch, "viem.mjs", { ...env, ACCOUNT_ADDRESS: requesterAddress })).trim().split("\n"),
        );
      } finally {
        process.kill(-veritasNode.pid!, "SIGTERM");
        await nodeExited;
      }
      // The node stopped on the signal (it logs so, then closes its journal and provider).
      expect(nodeErr, `veritas-node:\n${nodeOut}\n${nodeErr}`).to.match(/"msg":"stopping"/);

      const fee = (1_000_000n * 250n) / 10_000n;
      expect(lines[0]).to.match(/^NODE v\d+\./);
      console.log(`      (scratch project on Node ${lines[0].slice(5)})`);
      const output = lines.find((l) => l.startsWith("RESULT "))?.split(" ")[1];
      expect(lines).to.include.members([
        "PACKAGED-31337 DEPLOYMENT_NOT_FOUND VeritasClient: no Veritas deployment is packaged for chain 31337; pass { addresses } or { deployment }",
        `PACKAGED-LOOKUP ${c.escrow} fromBlock=${record.deployedAtBlock}`,
        "TYPES function",
        `REVERT true CONTRACT_REVERT InsufficientBalance(account=${requesterAddress}, balance=0, needed=1000000)`,
        "BALANCE 5000000",
        `RESULT ${output} node=${operatorAddress} nodeFee=${1_000_000n - 50_000n - fee}`,
        `VERIFIED TEE enclave=${enclave.address}`,
        `STATUS Settled requester=${requesterAddress}`,
        `ROLES Settled ${enclave.address}`,
      ]);
      // The node ran the reference model: the output is its logits and label for the input.
      expect(output).to.equal(hexlify(referenceOutput(ZK_INPUT)));
      expect(lines.find((l) => l.startsWith("ABI "))).to.match(/^ABI [1-9]\d* errors$/);
      // The `as const` ABIs are the JSON ABIs, value for value.
      const interfaceAbi = JSON.parse(
        readFileSync(path.join(ROOT, "abi", "IInferenceEscrow.json"), "utf8"),
      ) as unknown[];
      expect(lines).to.include(`ABI-CONST true ${interfaceAbi.length}`);
      // veritas-node printed one line per job it settled.
      const jobId = BigInt(lines.find((l) => l.startsWith("JOB "))!.slice(4));
      expect(nodeOut).to.match(new RegExp(`^job 0x${jobId.toString(16)}  tee  settled  tx 0x[0-9a-f]{64}`, "m"));

      // The viem script's ZK job: the input commitment as its digest, the input inline, proven by the node with the
      // version's Groth16 verifier; the same output as the TEE job of the same input.
      const zkJob = /^VIEM-JOB (\d+) digest=(0x[0-9a-f]{64}) uri=(.*)$/m.exec(lines.join("\n"));
      expect(zkJob, lines.join("\n")).to.not.equal(null);
      expect(zkJob![2]).to.equal(toBytes32(commitInput(ZK_INPUT)));
      expect(zkJob![3]).to.equal(`data:application/json,${encodeURIComponent(JSON.stringify(ZK_INPUT))}`);
      expect(lines).to.include.members([
        "VIEM-REVERT true CONTRACT_REVERT InsufficientBalance",
        `VIEM-RESULT ${output} node=${operatorAddress}`,
        `VIEM-VERIFIED ZK verifier=${await groth16.getAddress()}`,
        "VIEM-STATUS Settled",
        `VIEM-ROLES Settled ${Mode.TEE},${Mode.ZK}`,
      ]);
      expect(nodeOut).to.match(
        new RegExp(`^job 0x${BigInt(zkJob![1]).toString(16)}  zk  settled  tx 0x[0-9a-f]{64}`, "m"),
      );
    });
  },
);

/** Runs `node <script>` in `dir`; resolves with its stdout, rejects with both outputs when it fails. */
function runIn(dir: string, script: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("node", [script], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${script} exited ${code}:\n${stdout}\n${stderr}`)),
    );
  });
}

/** The file name `npm pack` gives a package's tarball. */
function tarballName(name: string): string {
  return `${name.replace("@", "").replace("/", "-")}-${PACKAGE.version}.tgz`;
}

async function listTarball(file: string): Promise<string[]> {
  return (await run("tar", ["-tzf", file], { maxBuffer: 64 << 20 })).stdout.split("\n").filter(Boolean);
}
