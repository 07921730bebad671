/**
 * `npx hardhat veritas <command>`: the operators' and requesters' CLI, as Hardhat tasks. Each command reads the
 * addresses from deployments/<chainId>.json (or `--deployment <file>`), signs with the network's account `--account`
 * (index or address; default the first), runs on `--network`, and prints a revert as its custom error and arguments.
 */
import { emptyTask, task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";
import type { TaskDefinition } from "hardhat/types/tasks";

const S = ArgumentType.STRING_WITHOUT_DEFAULT;

/** A `veritas` subcommand with the options every command takes. */
function command(name: string | string[], description: string) {
  return task(["veritas", ...(Array.isArray(name) ? name : [name])], description)
    .addOption({
      name: "deployment",
      description: "Deployment record (default: deployments/<chainId>.json)",
      type: S,
      defaultValue: undefined,
    })
    .addOption({
      name: "account",
      description: "Signer: an index into the network's accounts, or an address (default: 0)",
      type: S,
      defaultValue: undefined,
    });
}

/** A command that publishes a version: the terms every version sets (royalty, collateral, modes, verifier, images). */
function versionCommand(name: string | string[], description: string) {
  return command(name, description)
    .addOption({
      name: "royalty",
      defaultValue: "0",
      description: "Royalty per inference, in payment-token units (e.g. 0.05)",
    })
    .addOption({
      name: "minCollateral",
      defaultValue: "0",
      description: "Minimum claim collateral, in staking-token units",
    })
    .addOption({ name: "modes", defaultValue: "tee", description: "Verification modes: tee,zk,optimistic" })
    .addOption({ name: "zkVerifier", type: S, defaultValue: undefined, description: "ZK verifier contract (ZK mode)" })
    .addOption({
      name: "measurements",
      type: S,
      defaultValue: undefined,
      description: "Allowed enclave measurements, comma-separated (TEE mode)",
    });
}

export const veritasTasks: TaskDefinition[] = [
  emptyTask("veritas", "Veritas: models, nodes, enclave keys, requests and withdrawals").build(),
  command("register-model", "Create a model (an ERC-721 token minted to the signer)")
    .addOption({
      name: "metadataUri",
      description: "Off-chain description of the model",
      type: S,
      defaultValue: undefined,
    })
    .setAction(() => import("./actions/register-model.js"))
    .build(),
  versionCommand("publish-version", "Publish an immutable version of a model you own")
    .addOption({ name: "modelId", type: ArgumentType.BIGINT, defaultValue: 0n, description: "The model" })
    .addOption({
      name: "weightsDigest",
      type: S,
      defaultValue: undefined,
      description: "bytes32 digest (ZK: weights commitment)",
    })
    .addOption({
      name: "ioSchemaDigest",
      type: S,
      defaultValue: undefined,
      description: "bytes32 digest of the I/O schema (default zero)",
    })
    .addOption({
      name: "artifactUri",
      type: S,
      defaultValue: undefined,
      description: "Where the artefact lives (ipfs://, ar://…)",
    })
    .setAction(() => import("./actions/publish-version.js"))
    .build(),
  emptyTask(["veritas", "model"], "Model owners: publish a model bundle, inspect a version").build(),
  versionCommand(
    ["model", "publish"],
    "Check a model bundle, compute its digests and CID, create the model and publish it",
  )
    .addOption({
      name: "bundle",
      type: S,
      defaultValue: undefined,
      description: "The bundle directory (manifest.json)",
    })
    .addOption({
      name: "modelId",
      type: ArgumentType.BIGINT,
      defaultValue: 0n,
      description: "Publish as a version of this model of yours (default: create a model)",
    })
    .addOption({
      name: "metadataUri",
      type: S,
      defaultValue: undefined,
      description: "The new model's metadata (default: ipfs://<bundle CID>/manifest.json)",
    })
    .addOption({
      name: "artifactUri",
      type: S,
      defaultValue: undefined,
      description: "Where nodes fetch the bundle (default: ipfs://<bundle CID>)",
    })
    .addOption({ name: "car", type: S, defaultValue: undefined, description: "Write the bundle as a CAR file here" })
    .addFlag({ name: "fillDigests", description: "First write each listed file's size and sha256 into manifest.json" })
    .setAction(() => import("./actions/model-publish.js"))
    .build(),
  command(["model", "inspect"], "Show a model version (--gateway or --bundle: and verify its bundle)")
    .addPositionalArgument({ name: "versionId", type: S, defaultValue: undefined, description: "The version id" })
    .addOption({
      name: "gateway",
      type: S,
      defaultValue: undefined,
      description: "IPFS gateways (comma-separated) to fetch and verify the bundle from",
    })
    .addOption({ name: "bundle", type: S, defaultValue: undefined, description: "Verify this local bundle directory" })
    .setAction(() => import("./actions/model-inspect.js"))
    .build(),
  command("register-node", "Register the signer as a node (or --update its endpoint and capabilities)")
    .addOption({ name: "endpoint", type: S, defaultValue: undefined, description: "The node's endpoint URI" })
    .addOption({ name: "capabilities", defaultValue: "tee", description: "Modes served: tee,zk,optimistic" })
    .addFlag({ name: "update", description: "Update an already registered node" })
    .setAction(() => import("./actions/register-node.js"))
    .build(),
  command("stake", "Stake for a node (approves the staking token if needed)")
    .addOption({
      name: "amount",
      type: S,
      defaultValue: undefined,
      description: "Amount in staking-token units (e.g. 10000)",
    })
    .addOption({ name: "node", type: S, defaultValue: undefined, description: "The node (default: the signer)" })
    .setAction(() => import("./actions/stake.js"))
    .build(),
  command("unstake", "Request to unstake: the amount thaws (still slashable) for the unbonding period")
    .addOption({ name: "amount", type: S, defaultValue: undefined, description: "Amount in staking-token units" })
    .setAction(() => import("./actions/unstake.js"))
    .build(),
  command("withdraw-stake", "Withdraw thawed stake after the unbonding period")
    .addOption({ name: "to", type: S, defaultValue: undefined, description: "Receiver (default: the signer)" })
    .setAction(() => import("./actions/withdraw-stake.js"))
    .build(),
  command("register-enclave", "Register an enclave key with an attestation")
    .addOption({ name: "key", type: S, defaultValue: undefined, description: "The enclave key's address" })
    .addOption({
      name: "measurement",
      type: S,
      defaultValue: undefined,
      description: "The enclave's measurement (bytes32)",
    })
    .addOption({
      name: "expiresAt",
      type: ArgumentType.BIGINT,
      defaultValue: 0n,
      description: "Expiry (unix seconds) the attestation covers",
    })
    .addOption({ name: "attestation", type: S, defaultValue: undefined, description: "The attestation, hex" })
    .setAction(() => import("./actions/register-enclave.js"))
    .build(),
  command("request", "Request an inference and print its job id (--wait: and its verified result)")
    .addOption({ name: "versionId", type: ArgumentType.BIGINT, defaultValue: 0n, description: "The model version" })
    .addOption({
      name: "payment",
      type: S,
      defaultValue: undefined,
      description: "Payment in payment-token units (e.g. 1.5)",
    })
    .addOption({
      name: "input",
      type: S,
      defaultValue: undefined,
      description: "The input text (its keccak256 is the digest)",
    })
    .addOption({
      name: "inputDigest",
      type: S,
      defaultValue: undefined,
      description: "The input digest (instead of --input)",
    })
    .addOption({ name: "inputUri", defaultValue: "", description: "Where nodes fetch the input" })
    .addOption({ name: "mode", defaultValue: "tee", description: "Verification mode: tee, zk or optimistic" })
    .addOption({ name: "node", type: S, defaultValue: undefined, description: "Reserve the job for this node" })
    .addOption({
      name: "deliveryWindow",
      type: ArgumentType.BIGINT,
      defaultValue: 600n,
      description: "Seconds a claimer has to deliver",
    })
    .addOption({
      name: "ttl",
      type: ArgumentType.BIGINT,
      defaultValue: 3600n,
      description: "Seconds until the request's final deadline",
    })
    .addOption({
      name: "callbackGas",
      type: ArgumentType.BIGINT,
      defaultValue: 0n,
      description: "Callback gas (contract requesters)",
    })
    .addOption({ name: "pay", defaultValue: "balance", description: "balance (prepaid escrow balance) or transfer" })
    .addOption({
      name: "deposit",
      type: S,
      defaultValue: undefined,
      description: "Deposit this much into the escrow balance first",
    })
    .addFlag({ name: "wait", description: "Wait for the verified result and print it with its proof or attestation" })
    .addOption({
      name: "timeout",
      type: ArgumentType.BIGINT,
      defaultValue: 600n,
      description: "With --wait: give up after this many seconds",
    })
    .setAction(() => import("./actions/request.js"))
    .build(),
  command("watch", "Print a job's status until it settles, then its output")
    .addPositionalArgument({ name: "jobId", description: "The job id" })
    .addOption({
      name: "timeout",
      type: ArgumentType.BIGINT,
      defaultValue: 600n,
      description: "Give up after this many seconds",
    })
    .addOption({
      name: "interval",
      type: ArgumentType.BIGINT,
      defaultValue: 1000n,
      description: "Polling interval, ms",
    })
    .setAction(() => import("./actions/watch.js"))
    .build(),
  command("withdraw", "Withdraw from the signer's escrow balance (node earnings, refunds, prepaid funds)")
    .addOption({
      name: "amount",
      type: S,
      defaultValue: undefined,
      description: "Amount in payment-token units (default: all)",
    })
    .addOption({ name: "to", type: S, defaultValue: undefined, description: "Receiver (default: the signer)" })
    .setAction(() => import("./actions/withdraw.js"))
    .build(),
];
