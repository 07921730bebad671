/**
 * The suite's wiring, written once: which contract each part of Veritas is, what it is constructed with, and the
 * binding calls that connect them. Two executors run this one plan:
 *
 * - the Ignition modules in deploy/modules/ (`suiteModule`): one module per part, with the parameters of
 *   deploy/parameters/<network>.json, for `scripts/deploy.ts` and every public network;
 * - `deploySuite` (tests, the demo): the same steps with ethers on the chain at hand, faster than Ignition and without
 *   its journal, with test-only replacements (an EOA as owner instead of the timelock, another ZK verifier).
 *
 * A change to a constructor or a binding is made here, and both deployments follow it.
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { readFileSync } from "node:fs";
import type { Signer } from "ethers";
import type {
  DisputeManager,
  InferenceEscrow,
  MockUSD,
  ModelRegistry,
  NodeStaking,
  SignedAttestationVerifier,
  TeeRegistry,
  TeeResultVerifier,
  VeritasToken,
  ZkResultVerifier,
} from "../typechain-types/index.js";

const ZERO = "0x0000000000000000000000000000000000000000";

/** The parts of the suite, by the name the deployment record gives their address. */
export type SuiteKey =
  | "timelock"
  | "token"
  | "registry"
  | "staking"
  | "attestation"
  | "tee"
  | "teeVerifier"
  | "zkVerifier"
  | "escrow"
  | "disputes";

/** Another part's address. */
export class Ref {
  constructor(readonly key: SuiteKey) {}
}
/** A parameter of the part's Ignition module (deploy/parameters/<network>.json), with its default (none: required). */
export class Param {
  constructor(
    readonly name: string,
    readonly fallback?: bigint | number | typeof DEPLOYER,
  ) {}
}
/** A part's address that tests may replace (`SuiteParams.zkVerifier`); Ignition always uses the part. */
export class Replaceable {
  constructor(readonly ref: Ref) {}
}
/** The deploying account (Ignition's `m.getAccount(0)`). */
export const DEPLOYER: unique symbol = Symbol("deployer");

export type Arg =
  Ref | Param | Replaceable | bigint | number | string | boolean | readonly Arg[] | { readonly [k: string]: Arg };

const ref = (key: SuiteKey) => new Ref(key);
const param = (name: string, fallback?: Param["fallback"]) => new Param(name, fallback);

export type Leaf = Ref | Param | Replaceable;

/** `args` with every Ref, Param and Replaceable (at any depth of lists and structs) replaced by `leaf(it)`. */
export function resolveArgs(args: Arg, leaf: (a: Leaf) => unknown): unknown {
  if (args instanceof Ref || args instanceof Param || args instanceof Replaceable) return leaf(args);
  if (Array.isArray(args)) return args.map((a: Arg) => resolveArgs(a, leaf));
  if (typeof args === "object" && args !== null)
    return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, resolveArgs(v as Arg, leaf)]));
  return args;
}

export type Step = { key: SuiteKey; module: string; contract: string; args: readonly Arg[] };

/** The parts in deployment order, each in its Ignition module, with its constructor arguments. */
export const SUITE_STEPS: readonly Step[] = [
  {
    key: "timelock",
    module: "Governance",
    contract: "VeritasTimelock",
    // Proposals by the governor; anyone executes once the delay passed (no executor role, no admin).
    args: [param("minDelay", 3600n), [param("governor", DEPLOYER)], [ZERO], ZERO],
  },
  {
    key: "token",
    module: "VeritasToken",
    contract: "VeritasToken",
    args: [param("holder", DEPLOYER), param("supply", 1_000_000_000n * 10n ** 18n)],
  },
  { key: "registry", module: "ModelRegistry", contract: "ModelRegistry", args: [] },
  {
    key: "staking",
    module: "NodeStaking",
    contract: "NodeStaking",
    args: [
      ref("token"),
      param("minStake", 1_000n * 10n ** 18n),
      param("unbondingPeriod", 14n * 24n * 3600n),
      param("treasury", DEPLOYER),
      ref("timelock"),
    ],
  },
  { key: "attestation", module: "TeeRegistry", contract: "SignedAttestationVerifier", args: [ref("timelock")] },
  {
    key: "tee",
    module: "TeeRegistry",
    contract: "TeeRegistry",
    args: [ref("staking"), ref("attestation"), ref("timelock")],
  },
  {
    key: "teeVerifier",
    module: "TeeResultVerifier",
    contract: "TeeResultVerifier",
    args: [ref("tee"), ref("registry")],
  },
  { key: "zkVerifier", module: "ZkResultVerifier", contract: "ZkResultVerifier", args: [ref("registry")] },
  {
    key: "escrow",
    module: "InferenceEscrow",
    contract: "InferenceEscrow",
    args: [
      // An existing ERC-20: on local chains scripts/deploy.ts deploys MockUSD first and passes its address.
      param("paymentToken"),
      ref("registry"),
      ref("staking"),
      param("treasury", DEPLOYER),
      ref("teeVerifier"),
      new Replaceable(ref("zkVerifier")),
      {
        feeBps: param("feeBps", 250),
        collateralPerPaymentBps: param("collateralPerPaymentBps", 20_000),
        paused: false,
        challengeWindow: param("challengeWindow", 3600),
      },
      ref("timelock"),
    ],
  },
  {
    key: "disputes",
    module: "DisputeManager",
    contract: "DisputeManager",
    args: [
      ref("escrow"),
      ref("tee"),
      ref("teeVerifier"),
      {
        bond: param("bond", 1_000_000n),
        arbitrationPeriod: param("arbitrationPeriod", 24n * 3600n),
        challengerRewardBps: param("challengerRewardBps", 5_000),
        arbitrator: param("arbitrator", DEPLOYER),
        equivocationSlash: param("equivocationSlash", 1_000n * 10n ** 18n),
      },
      ref("timelock"),
    ],
  },
];

/** The one-time bindings, made by the deployer after every part exists (each binding can be made once). */
export const SUITE_BINDINGS: readonly { on: SuiteKey; fn: string; to: SuiteKey }[] = [
  { on: "staking", fn: "bindEscrow", to: "escrow" },
  { on: "escrow", fn: "bindDisputeManager", to: "disputes" },
  { on: "tee", fn: "bindDisputeManager", to: "disputes" },
];

// ------------------------------------------------------------------------------------------------------- Ignition

/** The parameters file's shape: module id -> parameter name -> value. */
export type ModuleParameters = Record<string, Record<string, unknown>>;

type AnyModule = ReturnType<typeof buildModule>;
type Builder = Parameters<Parameters<typeof buildModule>[1]>[0];
const modules = new Map<string, AnyModule>();

/**
 * The Ignition module `id` (a SUITE_STEPS module, or "Veritas": every part plus the bindings). The same object for
 * the same id: Ignition requires one module object per id in a deployment.
 */
export function suiteModule(id: string): AnyModule {
  const built = modules.get(id);
  if (built) return built;
  const steps = SUITE_STEPS.filter((s) => s.module === id);
  if (id !== "Veritas" && steps.length === 0) throw new Error(`no part of the suite is in module ${id}`);
  const module = buildModule(id, (m: Builder) => {
    const futures = new Map<SuiteKey, unknown>();
    const need = (key: SuiteKey): unknown => {
      if (!futures.has(key)) {
        const owner = moduleOf(key);
        const used = m.useModule(suiteModule(owner)) as unknown as Record<string, unknown>;
        futures.set(key, used[key]);
      }
      return futures.get(key);
    };
    const leaf = (a: Leaf): unknown => {
      if (a instanceof Ref) return need(a.key);
      if (a instanceof Replaceable) return need(a.ref.key);
      if (a.fallback === undefined) return m.getParameter(a.name);
      return m.getParameter(a.name, a.fallback === DEPLOYER ? m.getAccount(0) : a.fallback);
    };
    for (const step of steps) futures.set(step.key, m.contract(step.contract, resolveArgs(step.args, leaf) as never));
    if (id !== "Veritas") return Object.fromEntries(steps.map((s) => [s.key, futures.get(s.key)])) as never;
    for (const b of SUITE_BINDINGS) m.call(need(b.on) as never, b.fn, [need(b.to) as never]);
    return Object.fromEntries(SUITE_STEPS.map((s) => [s.key, need(s.key)])) as never;
  });
  modules.set(id, module);
  return module;
}

/**
 * The plan's default of parameter `module`.`name`: `deployer` for one that defaults to the deploying account,
 * undefined for a required one (or a name the plan does not have).
 */
export function parameterDefault(module: string, name: string, deployer: string): bigint | number | string | undefined {
  let found: Param | undefined;
  for (const step of SUITE_STEPS.filter((s) => s.module === module))
    resolveArgs(step.args, (a) => (a instanceof Param && a.name === name ? (found = a) : undefined));
  return found?.fallback === DEPLOYER ? deployer : found?.fallback;
}

function moduleOf(key: SuiteKey): string {
  return SUITE_STEPS.find((s) => s.key === key)!.module;
}

// ---------------------------------------------------------------------------------------------------------- ethers

/** What `deploySuite` deploys with (tests and the demo; a public deployment uses the Ignition modules). */
export type SuiteParams = {
  /** Owner of every contract: it stands in for the timelock (a VeritasTimelock in the demo, any account in tests). */
  owner: string;
  /** Receives the protocol fees and the treasury's share of slashes. */
  treasury: string;
  /** Receives the whole VeritasToken supply. */
  tokenHolder: string;
  tokenSupply: bigint;
  minStake: bigint;
  unbondingPeriod: bigint;
  feeBps: number;
  collateralPerPaymentBps: number;
  /** Challenge window of optimistic jobs, seconds. */
  challengeWindow: number;
  /** An existing payment token; a MockUSD is deployed when absent (local chains only). */
  paymentToken?: string;
  /** Replaces the escrow's ZK result verifier (ZeroAddress: no ZK mode). Absent: the suite's ZkResultVerifier. */
  zkVerifier?: string;
  /** Dispute parameters (IDisputeManager.Params); the arbitrator defaults to `owner`. */
  dispute?: Partial<DisputeParams>;
};

export type DisputeParams = {
  bond: bigint;
  arbitrationPeriod: bigint;
  challengerRewardBps: number;
  arbitrator: string;
  equivocationSlash: bigint;
};

export type Suite = {
  token: VeritasToken;
  usd: MockUSD;
  registry: ModelRegistry;
  staking: NodeStaking;
  attestation: SignedAttestationVerifier;
  tee: TeeRegistry;
  teeVerifier: TeeResultVerifier;
  /** The ZkResultVerifier over `registry`; the escrow's ZK verifier unless `SuiteParams.zkVerifier` replaces it. */
  zkVerifier: ZkResultVerifier;
  escrow: InferenceEscrow;
  disputes: DisputeManager;
};

/** The parameters of a local chain: deploy/parameters/local.json, the file `scripts/deploy.ts` uses on one. */
export const LOCAL_PARAMS = (owner: string, treasury: string, tokenHolder: string): SuiteParams => {
  const file = JSON.parse(readFileSync(new URL("./parameters/local.json", import.meta.url), "utf8")) as Record<
    string,
    Record<string, string | number>
  >;
  return {
    owner,
    treasury,
    tokenHolder,
    tokenSupply: BigInt(file.VeritasToken.supply),
    minStake: BigInt(file.NodeStaking.minStake),
    unbondingPeriod: BigInt(file.NodeStaking.unbondingPeriod),
    feeBps: Number(file.InferenceEscrow.feeBps),
    collateralPerPaymentBps: Number(file.InferenceEscrow.collateralPerPaymentBps),
    challengeWindow: Number(file.InferenceEscrow.challengeWindow),
    dispute: {
      bond: BigInt(file.DisputeManager.bond),
      arbitrationPeriod: BigInt(file.DisputeManager.arbitrationPeriod),
      challengerRewardBps: Number(file.DisputeManager.challengerRewardBps),
      equivocationSlash: BigInt(file.DisputeManager.equivocationSlash),
    },
  };
};

/** `p` as the Ignition modules' parameters (the shape of deploy/parameters/<network>.json). */
export function moduleParameters(p: SuiteParams, paymentToken: string): ModuleParameters {
  return {
    VeritasToken: { holder: p.tokenHolder, supply: p.tokenSupply },
    NodeStaking: { minStake: p.minStake, unbondingPeriod: p.unbondingPeriod, treasury: p.treasury },
    InferenceEscrow: {
      paymentToken,
      treasury: p.treasury,
      feeBps: p.feeBps,
      collateralPerPaymentBps: p.collateralPerPaymentBps,
      challengeWindow: p.challengeWindow,
    },
    DisputeManager: { ...p.dispute, arbitrator: p.dispute?.arbitrator ?? p.owner },
  };
}

/**
 * Deploys and wires the suite with ethers, from SUITE_STEPS and SUITE_BINDINGS (the plan the Ignition modules run):
 * `p.owner` stands in for the timelock, unset parameters take the modules' defaults, the bindings are made by
 * `deployer`.
 */
export async function deploySuite(ethers: HardhatEthers, deployer: Signer, p: SuiteParams): Promise<Suite> {
  const deploy = async (name: string, args: unknown[]) => {
    const c = await ethers.deployContract(name, args, deployer);
    await c.waitForDeployment();
    return c;
  };
  const usd = (p.paymentToken
    ? await ethers.getContractAt("MockUSD", p.paymentToken, deployer)
    : await deploy("MockUSD", [])) as unknown as MockUSD;
  const parameters = moduleParameters(p, await usd.getAddress());
  const deployerAddress = await deployer.getAddress();
  const addresses = new Map<SuiteKey, string>([["timelock", p.owner]]);
  const replaced: Partial<Record<SuiteKey, string>> = p.zkVerifier === undefined ? {} : { zkVerifier: p.zkVerifier };
  const contracts: Partial<Record<SuiteKey, unknown>> = {};
  for (const step of SUITE_STEPS) {
    if (addresses.has(step.key)) continue; // given: the owner stands in for the timelock
    const address = (key: SuiteKey): string => {
      const a = addresses.get(key);
      if (a === undefined) throw new Error(`${step.key}: ${key} is not deployed yet (SUITE_STEPS order)`);
      return a;
    };
    const leaf = (a: Leaf): unknown => {
      if (a instanceof Ref) return address(a.key);
      if (a instanceof Replaceable) return replaced[a.ref.key] ?? address(a.ref.key);
      const value = parameters[step.module]?.[a.name] ?? a.fallback;
      if (value === undefined) throw new Error(`parameter ${step.module}.${a.name} is required`);
      return value === DEPLOYER ? deployerAddress : value;
    };
    const c = await deploy(step.contract, resolveArgs(step.args, leaf) as unknown[]);
    contracts[step.key] = c;
    addresses.set(step.key, await c.getAddress());
  }
  for (const b of SUITE_BINDINGS) {
    const on = contracts[b.on] as unknown as Record<string, (to: string) => Promise<{ wait(): Promise<unknown> }>>;
    await (await on[b.fn](addresses.get(b.to)!)).wait();
  }
  return { ...contracts, usd } as unknown as Suite;
}
