/**
 * The main job: deploy the whole Veritas suite on Hardhat's in-process chain and run one TEE-verified inference job
 * end to end, printing every step, its gas, and the balances that follow from the fee split. Exits non-zero if any
 * figure is not what the protocol promises.
 *
 *   npm run demo
 */
import { network } from "hardhat";
import { formatUnits, id, keccak256, Wallet, ZeroAddress } from "ethers";
import type { ContractTransactionResponse } from "ethers";
import { BPS, JobStatus, Mode, modeBit } from "./lib/constants.js";
import { deploySuite, LOCAL_PARAMS } from "./lib/deploy.js";
import { viaTimelock } from "./lib/governance.js";
import { claimOf, requestedJobs } from "./lib/jobs.js";
import { attestationDomain, signAttestation, SimulatedEnclave, teeResultDomain } from "./lib/tee.js";
import {
  encodeOutput,
  inputCommitment,
  readOnnxWeights,
  releaseOnnxSession,
  runOnnx,
  toBytes32,
  weightsCommitment,
  ZK_PATHS,
} from "./lib/zk/index.js";
import type { VeritasTimelock } from "../typechain-types/index.js";

const { ethers, networkHelpers } = await network.create();
const [deployer, governor, treasury, modelOwner, operator, requester] = await ethers.getSigners();

const usd = (v: bigint) => `${formatUnits(v, 6)} mUSD`;
const vrt = (v: bigint) => `${formatUnits(v, 18)} VRT`;
const gasUsed: Record<string, bigint> = {};
let step = 0;
const say = (title: string) => console.log(`\n[${++step}] ${title}`);
const note = (line: string) => console.log(`    ${line}`);
async function send(label: string, tx: Promise<ContractTransactionResponse>) {
  const receipt = (await (await tx).wait())!;
  gasUsed[label] = receipt.gasUsed;
  note(`${label}: tx ${receipt.hash.slice(0, 10)}…, ${receipt.gasUsed.toLocaleString("en-US")} gas`);
  return receipt;
}
const failures: string[] = [];
function check(what: string, actual: bigint, expected: bigint) {
  const ok = actual === expected;
  if (!ok) failures.push(`${what}: got ${actual}, expected ${expected}`);
  note(`${ok ? "✔" : "✘"} ${what}: ${actual === expected ? "" : `got ${actual}, expected `}${expected}`);
}

console.log("Veritas demo: one TEE-verified inference job on Hardhat's in-process chain");
console.log("(the enclave is SIMULATED: an ordinary key in this process stands in for a Nitro/TDX enclave key)");

say("Deploy governance (a timelock) and the suite");
const timelock = (await ethers.deployContract(
  "VeritasTimelock",
  [3600n, [governor.address], [ZeroAddress], ZeroAddress],
  deployer,
)) as unknown as VeritasTimelock;
const timelockAddress = await timelock.getAddress();
const s = await deploySuite(ethers, deployer, LOCAL_PARAMS(timelockAddress, treasury.address, deployer.address));
for (const [name, c] of Object.entries({ timelock, ...s })) note(`${name.padEnd(12)} ${await c.getAddress()}`);

say("Governance approves the enclave image and an attestation service (scheduled, 1 h delay, executed)");
const MEASUREMENT = id("veritas-reference-enclave-image");
const attestationService = new Wallet(id("demo-attestation-service"));
await viaTimelock(
  timelock,
  governor,
  [
    {
      target: await s.tee.getAddress(),
      data: s.tee.interface.encodeFunctionData("approveMeasurement", [MEASUREMENT, "reference enclave image"]),
    },
    {
      target: await s.attestation.getAddress(),
      data: s.attestation.interface.encodeFunctionData("setAttestationSigner", [attestationService.address, true]),
    },
  ],
  networkHelpers,
);
note(`measurement ${MEASUREMENT.slice(0, 18)}… approved: ${await s.tee.isMeasurementApproved(MEASUREMENT)}`);

say("Model owner publishes the reference ONNX model (quantized MLP, 8 inputs → 3 logits + label)");
const weights = readOnnxWeights();
const commitment = toBytes32(weightsCommitment(weights));
const ROYALTY = 50_000n; // 0.05 mUSD
await send("createModel", s.registry.connect(modelOwner).createModel("ipfs://veritas-reference-mlp/model-card.json"));
await send(
  "publishVersion",
  s.registry.connect(modelOwner).publishVersion(1n, {
    weightsDigest: commitment,
    ioSchemaDigest: id("int8[8] -> int256[4] (logits[3], label)"),
    artifactURI: `file://${ZK_PATHS.onnx}`,
    royalty: ROYALTY,
    minCollateral: 100n * 10n ** 18n,
    modes: modeBit(Mode.TEE),
    zkVerifier: ZeroAddress,
    teeMeasurements: [MEASUREMENT],
  }),
);
note(`version 1: weights commitment ${commitment.slice(0, 18)}…, royalty ${usd(ROYALTY)}`);

say("Node operator registers, stakes and registers its enclave key with an attestation");
const STAKE = 10_000n * 10n ** 18n;
await send("registerNode", s.staking.connect(operator).registerNode("https://node-1.example", modeBit(Mode.TEE)));
await s.token.connect(deployer).transfer(operator.address, STAKE);
await s.token.connect(operator).approve(await s.staking.getAddress(), STAKE);
await send("stake", s.staking.connect(operator).stake(operator.address, STAKE));
const enclave = new SimulatedEnclave(MEASUREMENT);
const keyExpiry = BigInt(await networkHelpers.time.latest()) + 30n * 86400n;
const attestation = await signAttestation(
  attestationService,
  attestationDomain((await ethers.provider.getNetwork()).chainId, await s.attestation.getAddress()),
  await s.tee.getAddress(),
  operator.address,
  enclave.address,
  MEASUREMENT,
  keyExpiry,
);
await send(
  "registerEnclaveKey",
  s.tee.connect(operator).registerEnclaveKey(enclave.address, MEASUREMENT, keyExpiry, attestation),
);
note(
  `stake ${vrt(STAKE)}, enclave key ${enclave.address} active: ${await s.tee.isActiveKey(enclave.address, operator.address)}`,
);

say("Requester deposits 10 mUSD and requests one inference, paying 1 mUSD");
const PAYMENT = 1_000_000n;
await s.usd.mint(requester.address, 10_000_000n);
await s.usd.connect(requester).approve(await s.escrow.getAddress(), 10_000_000n);
await send("deposit", s.escrow.connect(requester).deposit(requester.address, 10_000_000n));
const input = [12, -7, 33, 90, -128, 5, 64, -20];
const now = BigInt(await networkHelpers.time.latest());
const requestReceipt = await send(
  "requestInference",
  s.escrow.connect(requester).requestInference({
    versionId: 1n,
    mode: Mode.TEE,
    node: ZeroAddress,
    payment: PAYMENT,
    deliveryWindow: 600n,
    expiresAt: now + 3600n,
    callbackGasLimit: 0n,
    inputDigest: toBytes32(inputCommitment(input)),
    inputURI: `data:application/json,${JSON.stringify(input)}`,
  }),
);
const [{ jobId, job, inputURI }] = requestedJobs(s.escrow, requestReceipt.logs);
note(`job ${jobId.toString(16)} (requester ${requester.address.slice(0, 10)}…, nonce ${job.nonce}), input ${inputURI}`);

say("Node reads the JobRequested event, checks the artefact, claims the job (locking collateral)");
const served = toBytes32(weightsCommitment(readOnnxWeights(ZK_PATHS.onnx)));
if (served !== (await s.registry.getVersion(job.versionId)).weightsDigest)
  throw new Error("artefact does not match the registry");
note("artefact weights commitment matches the registry ✔");
const claimReceipt = await send("claim", s.escrow.connect(operator).claim(job));
const claim = claimOf(s.escrow, claimReceipt.logs);
note(`collateral locked: ${vrt(job.collateral)}, deliver by ${new Date(Number(claim.deliverBy) * 1000).toISOString()}`);

say("Node runs the ONNX model with onnxruntime inside its (simulated) enclave; the enclave signs the result");
const fetched = JSON.parse(decodeURIComponent(inputURI.slice("data:application/json,".length))) as number[];
const result = await runOnnx(fetched);
await releaseOnnxSession();
const output = encodeOutput(result.logits, result.label);
note(`logits [${result.logits.join(", ")}], label ${result.label}`);
const signature = await enclave.signResult(
  teeResultDomain((await ethers.provider.getNetwork()).chainId, await s.teeVerifier.getAddress()),
  await s.escrow.getAddress(),
  job,
  output,
);
await send("submitResult", s.escrow.connect(operator).submitResult(job, claim, output, signature));
check("job status (3 = Settled)", await s.escrow.jobStatus(jobId), JobStatus.Settled);

say("Settlement: the payment is split into pull balances");
const protocolFee = (PAYMENT * job.feeBps) / BPS;
const nodeFee = PAYMENT - ROYALTY - protocolFee;
note(
  `payment ${usd(PAYMENT)} = node ${usd(nodeFee)} + royalty ${usd(ROYALTY)} + protocol fee ${usd(protocolFee)} (${job.feeBps} bps)`,
);
check("node earnings in escrow", await s.escrow.balanceOf(operator.address), nodeFee);
check("model royalties in escrow", (await s.escrow.accrualOf(1n)).royalties, ROYALTY);
check("protocol fees in escrow", (await s.escrow.accrualOf(1n)).protocolFees, protocolFee);
check("requester prepaid balance left", await s.escrow.balanceOf(requester.address), 10_000_000n - PAYMENT);
check("collateral unlocked", await s.escrow.lockedCollateral(operator.address), 0n);

say("Everyone pulls what they are owed");
await send("withdraw (node)", s.escrow.connect(operator).withdraw(nodeFee, operator.address));
await send("withdrawRoyalties", s.escrow.connect(modelOwner).withdrawRoyalties(1n, modelOwner.address));
await send("collectProtocolFees", s.escrow.connect(deployer).collectProtocolFees([1n]));
await send("withdraw (requester)", s.escrow.connect(requester).withdraw(10_000_000n - PAYMENT, requester.address));

say("Final token balances");
const balances: [string, string, bigint][] = [
  ["requester", requester.address, 10_000_000n - PAYMENT],
  ["node operator", operator.address, nodeFee],
  ["model owner", modelOwner.address, ROYALTY],
  ["treasury", treasury.address, protocolFee],
  ["escrow", await s.escrow.getAddress(), 0n],
];
for (const [who, addr, expected] of balances) {
  const b = await s.usd.balanceOf(addr);
  note(`${who.padEnd(14)} ${usd(b).padStart(14)}`);
  check(`${who} mUSD`, b, expected);
}
note(`node stake still bonded: ${vrt(await s.staking.totalStakeOf(operator.address))}`);

say("Gas (from receipts, including the 21,000 base)");
const lifecycle = gasUsed.requestInference + gasUsed.claim + gasUsed.submitResult;
for (const k of ["requestInference", "claim", "submitResult"])
  note(`${k.padEnd(18)} ${gasUsed[k].toLocaleString("en-US").padStart(9)}`);
note(
  `${"full TEE job".padEnd(18)} ${lifecycle.toLocaleString("en-US").padStart(9)}  (Ritual Infernet request→deliver: 250,243 unpaid, 364,985 with ERC-20 payment)`,
);

if (failures.length > 0) {
  console.error(`\nDemo FAILED:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
console.log("\nDemo complete: one TEE-verified job settled and every balance matches the fee split.");
