import { expect } from "chai";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { hexlify, id, keccak256, toUtf8Bytes, Wallet, ZeroAddress, ZeroHash } from "ethers";
import { Mode, modeBit } from "../helpers/constants.js";
import { ROOT, type DeploymentRecord } from "../../scripts/lib/deployment.js";
import { claimOf, toJob } from "../../src/jobs.js";
import { attestationDomain, signAttestation, SimulatedEnclave, teeResultDomain } from "../../src/tee.js";
import {
  InferenceEscrow__factory,
  MockUSD__factory,
  ModelRegistry__factory,
  NodeStaking__factory,
  SignedAttestationVerifier__factory,
  TeeRegistry__factory,
  VeritasTimelock__factory,
  VeritasToken__factory,
} from "../../typechain-types/index.js";
import { deployTo, PROJECT_ENV, startNode, type RpcNode } from "../helpers/rpc-node.js";

const run = promisify(execFile);
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
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
import { JsonRpcProvider, toUtf8String } from "ethers";
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
  say("PACKAGED-31337 " + e.message);
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
const params = { versionId: 1n, mode: Mode.TEE, payment: 1_000_000n, input: "[3,1,4,1,5,9,2,6]", inputURI: "data:,[3,1,4,1,5,9,2,6]" };

// Before any deposit the request reverts: the client throws a VeritasError, decoded.
try {
  await client.requestInference(params);
  say("REVERT none");
} catch (e) {
  say("REVERT " + (e instanceof VeritasError) + " " + decodeVeritasError(e)?.message);
}

await client.deposit(5_000_000n);
say("BALANCE " + (await client.balanceOf()));
const { jobId } = await client.requestInference(params);
say("JOB " + jobId);
const result = await client.waitForResult(jobId, { timeout: 30_000 });
say("RESULT " + toUtf8String(result.output) + " node=" + result.node + " nodeFee=" + result.nodeFee);
const info = await client.getJob(jobId);
say("STATUS " + info.status + " requester=" + info.job.requester);
provider.destroy();
`;

const CHECK_TS = `
import { VeritasClient, decodeVeritasError, type InferenceResult, type Job } from "${PACKAGE.name}";
import { InferenceEscrow__factory, type InferenceEscrow } from "${PACKAGE.name}/types";
import type { Signer } from "ethers";
import { inferenceEscrowAbi } from "${PACKAGE.name}/abis";

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
`;

describe("npm package (npm pack, installed in a scratch project, one job on hardhat node)", function () {
  this.timeout(180_000);
  let node: RpcNode;
  let record: DeploymentRecord;
  let scratch: string;
  let tarball: string;
  let packed: string[];
  let ethersSource: string;

  before(async function () {
    node = await startNode("hardhat");
    // Deploy first: deployments/31337.json then exists, and the package must still leave it out.
    ({ record } = await deployTo(node, { inProject: true }));

    scratch = mkdtempSync(path.join(tmpdir(), "veritas-integrator-"));
    // `npm pack` runs `prepack` (npm run build:package): ABIs, TypeChain types and the client compiled into dist/.
    await run("npm", ["pack", "--pack-destination", scratch], { cwd: ROOT, env: PROJECT_ENV, maxBuffer: 64 << 20 });
    tarball = path.join(scratch, `${PACKAGE.name.replace("@", "").replace("/", "-")}-${PACKAGE.version}.tgz`);
    packed = (await run("tar", ["-tzf", tarball], { maxBuffer: 64 << 20 })).stdout.split("\n").filter(Boolean);

    writeFileSync(
      path.join(scratch, "package.json"),
      JSON.stringify({ name: "integrator", version: "1.0.0", private: true, type: "module" }),
    );
    // The package's dependencies, packed from this repository's node_modules (the versions package.json pins): the
    // offline install then needs no registry metadata, whatever the npm cache holds.
    const deps: string[] = [];
    for (const name of Object.keys(PACKAGE.dependencies ?? {})) {
      const out = await run("npm", ["pack", path.join(ROOT, "node_modules", name), "--ignore-scripts", "--json"], {
        cwd: scratch,
        env: USER_ENV,
        maxBuffer: 64 << 20,
      });
      deps.push(path.join(scratch, (JSON.parse(out.stdout) as { filename: string }[])[0].filename));
    }
    const install = ["install", tarball, ...deps, "--offline", "--ignore-scripts", "--no-audit", "--no-fund"];
    try {
      // ethers, the package's peer dependency, comes from the npm cache.
      await run("npm", install, { cwd: scratch, env: USER_ENV });
      ethersSource = "npm cache";
    } catch (e) {
      // Without ethers in the npm cache, link this repository's copy (and install the package alone).
      await run("npm", [...install, "--legacy-peer-deps"], { cwd: scratch, env: USER_ENV });
      rmSync(path.join(scratch, "node_modules", "ethers"), { recursive: true, force: true });
      await run("ln", ["-s", path.join(ROOT, "node_modules", "ethers"), path.join(scratch, "node_modules", "ethers")]);
      ethersSource = `symlink to this repository's node_modules/ethers (offline install failed: ${(e as Error).message.split("\n")[0]})`;
    }
  });

  after(async function () {
    await node?.stop();
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
    expect(existsSync(path.join(scratch, "node_modules", "ethers", "package.json")), ethersSource).to.equal(true);
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

  it("runs a job from the scratch project: connect, deposit, request; the node side serves it; waitForResult prints it", async function () {
    const p = node.provider;
    const [deployer, modelOwner, operator, requester] = await Promise.all([0, 3, 4, 5].map((i) => p.getSigner(i)));
    const c = record.contracts;
    const chainId = (await p.getNetwork()).chainId;

    // Node side, with the repository's helpers: governance approves an enclave image and an attestation service
    // (through the timelock), the model owner publishes a TEE version, the operator stakes and registers its key.
    const measurement = id("pack-test-enclave");
    const service = new Wallet(id("pack-test-attestation-service"));
    const tee = TeeRegistry__factory.connect(c.tee, deployer);
    const attestation = SignedAttestationVerifier__factory.connect(c.attestation, deployer);
    const timelock = VeritasTimelock__factory.connect(c.timelock, deployer);
    const targets = [c.tee, c.attestation];
    const payloads = [
      tee.interface.encodeFunctionData("approveMeasurement", [measurement, "pack test"]),
      attestation.interface.encodeFunctionData("setAttestationSigner", [service.address, true]),
    ];
    const delay = await timelock.getMinDelay();
    await (await timelock.scheduleBatch(targets, [0n, 0n], payloads, ZeroHash, id("pack"), delay)).wait();
    await p.send("evm_increaseTime", [Number(delay)]);
    await p.send("evm_mine", []);
    await (await timelock.executeBatch(targets, [0n, 0n], payloads, ZeroHash, id("pack"))).wait();

    const registry = ModelRegistry__factory.connect(c.registry, modelOwner);
    await (await registry.createModel("ipfs://model")).wait();
    await (
      await registry.publishVersion(1n, {
        weightsDigest: keccak256(toUtf8Bytes("w")),
        ioSchemaDigest: ZeroHash,
        artifactURI: "ipfs://w",
        royalty: 50_000n,
        minCollateral: 10n ** 20n,
        modes: modeBit(Mode.TEE),
        zkVerifier: ZeroAddress,
        teeMeasurements: [measurement],
      })
    ).wait();
    const operatorAddress = await operator.getAddress();
    const stake = 10n ** 22n;
    await (await VeritasToken__factory.connect(c.token, deployer).transfer(operatorAddress, stake)).wait();
    await (await VeritasToken__factory.connect(c.token, operator).approve(c.staking, stake)).wait();
    const staking = NodeStaking__factory.connect(c.staking, operator);
    await (await staking.registerNode("http://127.0.0.1", modeBit(Mode.TEE))).wait();
    await (await staking.stake(operatorAddress, stake)).wait();
    const enclave = new SimulatedEnclave(measurement);
    const keyExpiry = BigInt((await p.getBlock("latest"))!.timestamp) + 86_400n;
    const att = await signAttestation(
      service,
      attestationDomain(chainId, c.attestation),
      c.tee,
      operatorAddress,
      enclave.address,
      measurement,
      keyExpiry,
    );
    await (
      await TeeRegistry__factory.connect(c.tee, operator).registerEnclaveKey(
        enclave.address,
        measurement,
        keyExpiry,
        att,
      )
    ).wait();
    const requesterAddress = await requester.getAddress();
    await (await MockUSD__factory.connect(c.paymentToken, deployer).mint(requesterAddress, 10_000_000n)).wait();

    // The integrator's script, on the machine's Node, from the scratch project.
    const deploymentFile = path.join(scratch, "deployment.json");
    writeFileSync(deploymentFile, JSON.stringify(record));
    writeFileSync(path.join(scratch, "run.mjs"), SCRIPT);
    const child = spawn("node", ["run.mjs"], {
      cwd: scratch,
      env: { ...USER_ENV, RPC_URL: node.url, ACCOUNT: "5", DEPLOYMENT: deploymentFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const served = new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d) => {
        stdout += d;
        const m = /^JOB (\d+)$/m.exec(stdout);
        if (m && !served.started) {
          served.started = true;
          // The node side serves the job: claim, run (here: a fixed output), enclave-sign, submit.
          (async () => {
            const escrow = InferenceEscrow__factory.connect(c.escrow, operator);
            const [event] = await escrow.queryFilter(escrow.filters.JobRequested(BigInt(m[1])));
            const job = toJob(event.args.job as never);
            const claim = claimOf(escrow, (await (await escrow.claim(job)).wait())!.logs);
            const output = hexlify(toUtf8Bytes("label=1"));
            const sig = await enclave.signResult(teeResultDomain(chainId, c.teeVerifier), c.escrow, job, output);
            await (await escrow.submitResult(job, claim, output, sig)).wait();
          })().then(resolve, reject);
        }
      });
    }) as Promise<void> & { started?: boolean };
    const code = await exited;
    expect(code, `scratch script failed:\n${stdout}\n${stderr}`).to.equal(0);
    await served;

    const fee = (1_000_000n * 250n) / 10_000n;
    const lines = stdout.trim().split("\n");
    expect(lines[0]).to.match(/^NODE v\d+\./);
    console.log(`      (scratch project on Node ${lines[0].slice(5)}, ethers from the ${ethersSource})`);
    expect(lines).to.include.members([
      "PACKAGED-31337 VeritasClient: no Veritas deployment is packaged for chain 31337; pass { addresses } or { deployment }",
      `PACKAGED-LOOKUP ${c.escrow} fromBlock=${record.deployedAtBlock}`,
      "TYPES function",
      `REVERT true InsufficientBalance(account=${requesterAddress}, balance=0, needed=1000000)`,
      "BALANCE 5000000",
      `RESULT label=1 node=${operatorAddress} nodeFee=${1_000_000n - 50_000n - fee}`,
      `STATUS Settled requester=${requesterAddress}`,
    ]);
    expect(lines.find((l) => l.startsWith("ABI "))).to.match(/^ABI [1-9]\d* errors$/);
    // The `as const` ABIs are the JSON ABIs, value for value.
    const interfaceAbi = JSON.parse(readFileSync(path.join(ROOT, "abi", "IInferenceEscrow.json"), "utf8")) as unknown[];
    expect(lines).to.include(`ABI-CONST true ${interfaceAbi.length}`);
    expect(lines.some((l) => l.startsWith("JOB "))).to.equal(true);
  });
});
