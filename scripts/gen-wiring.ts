/**
 * `npm run gen:wiring [-- --check]`: writes test/helpers/SuiteWiring.sol, the suite's wiring for the Solidity tests,
 * from the one plan in deploy/suite.ts (SUITE_STEPS, SUITE_BINDINGS), so the fuzz and invariant tests deploy the
 * contracts exactly as the Ignition modules and `deploySuite` do: the same order, the same constructor arguments
 * (struct arguments in the order of the constructor's ABI), the same bindings, the same defaults.
 *
 * As in `deploySuite`, the owner stands in for the timelock (`WiringParams.owner`), and a part marked replaceable
 * (the escrow's ZK verifier) can be replaced. `--check` writes nothing and exits 1 when the file is not what the plan
 * gives (a test runs it). Needs the artifacts (`npx hardhat build`) for the constructors' ABIs.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";
import { writeOrCheck } from "./lib/generated.js";
import {
  DEPLOYER,
  Param,
  Ref,
  Replaceable,
  resolveArgs,
  SUITE_BINDINGS,
  SUITE_STEPS,
  type Arg,
  type Step,
  type SuiteKey,
} from "../deploy/suite.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const OUT = path.join(ROOT, "test", "helpers", "SuiteWiring.sol");

/** The part the owner stands in for (never deployed by the tests). */
const GIVEN: SuiteKey = "timelock";

type AbiParam = { name: string; type: string; components?: AbiParam[] };

function constructorInputs(contract: string): AbiParam[] {
  const file = path.join(ROOT, "artifacts", "contracts", `${contract}.sol`, `${contract}.json`);
  const abi = JSON.parse(readFileSync(file, "utf8")).abi as { type: string; inputs?: AbiParam[]; name?: string }[];
  return abi.find((e) => e.type === "constructor")?.inputs ?? [];
}

const cap = (s: string) => s[0].toUpperCase() + s.slice(1);
const low = (s: string) => s[0].toLowerCase() + s.slice(1);
/** A parameter's field in WiringParams: module and name, e.g. `nodeStakingMinStake`. */
const fieldOf = (module: string, p: Param) => `${low(module)}${cap(p.name)}`;
/** SNAKE_CASE of a field, for its default's constant. */
const constantOf = (field: string) => `WIRING_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/** The Solidity expression of one argument of `step`, of ABI type `abi` (a static struct is flattened). */
function expressions(step: Step, arg: Arg, abi: AbiParam): string[] {
  if (arg instanceof Ref) return [arg.key === GIVEN ? "p.owner" : `s.${arg.key}`];
  if (arg instanceof Replaceable) {
    const k = arg.ref.key;
    return [`p.replace${cap(k)} ? p.${k}Replacement : s.${k}`];
  }
  if (arg instanceof Param) return [`p.${fieldOf(step.module, arg)}`];
  if (typeof arg === "boolean") return [String(arg)];
  if (abi.type === "tuple" && typeof arg === "object" && arg !== null && !Array.isArray(arg)) {
    const fields = arg as { readonly [k: string]: Arg };
    // A static struct encodes in place: its fields in the ABI's order, each from the plan's field of that name.
    return abi.components!.flatMap((c) => {
      if (!(c.name in fields)) throw new Error(`gen-wiring: ${step.contract}: no ${c.name} in the plan's ${abi.name}`);
      return expressions(step, fields[c.name], c);
    });
  }
  throw new Error(`gen-wiring: ${step.contract}: cannot write the argument ${abi.name} (${abi.type}) in Solidity`);
}

/** Solidity literal of a parameter's default. */
function literal(p: Param): string | undefined {
  if (p.fallback === undefined) return undefined; // required: the test sets it
  if (p.fallback === DEPLOYER) return "address(this)"; // the deploying account: the test contract
  return BigInt(p.fallback).toString();
}

export async function render(): Promise<string> {
  const steps = SUITE_STEPS.filter((s) => s.key !== GIVEN);
  const params: { field: string; type: string; param: Param }[] = [];
  const replaceable: SuiteKey[] = [];
  const deploys: string[] = [];
  for (const step of steps) {
    const inputs = constructorInputs(step.contract);
    if (inputs.length !== step.args.length)
      throw new Error(
        `gen-wiring: ${step.contract} takes ${inputs.length} arguments, the plan gives ${step.args.length}`,
      );
    // Every parameter and replaceable part, at any depth of the arguments (the plan's own traversal).
    resolveArgs(step.args, (a) => {
      if (a instanceof Param) {
        const field = fieldOf(step.module, a);
        if (!params.some((x) => x.field === field))
          params.push({
            field,
            type: typeof a.fallback === "symbol" || a.fallback === undefined ? "address" : "uint256",
            param: a,
          });
      } else if (a instanceof Replaceable) replaceable.push(a.ref.key);
    });
    const exprs = step.args.flatMap((a, i) => expressions(step, a, inputs[i]));
    // In words of four: one abi.encode of a dozen values is too deep a stack for the tests' compiler settings.
    const chunks: string[] = [];
    for (let i = 0; i < exprs.length; i += 4) chunks.push(`abi.encode(${exprs.slice(i, i + 4).join(", ")})`);
    const encoded = chunks.length === 0 ? '""' : chunks.length === 1 ? chunks[0] : `bytes.concat(${chunks.join(", ")})`;
    deploys.push(`        s.${step.key} = _deploy("${step.contract}", ${encoded});`);
  }
  const binds = SUITE_BINDINGS.map((b) => `        _bind(s.${b.on}, "${b.fn}(address)", s.${b.to});`);
  const defaults = params.filter((x) => literal(x.param) !== undefined);
  const text = [
    "// SPDX-License-Identifier: MIT",
    "// Generated by scripts/gen-wiring.ts from deploy/suite.ts (SUITE_STEPS, SUITE_BINDINGS): do not edit.",
    "// `npm run gen:wiring` rewrites it; a test checks it is current.",
    "pragma solidity 0.8.30;",
    "",
    'import {Deployed} from "./Deployed.sol";',
    "",
    ...defaults
      .filter((x) => x.type === "uint256")
      .map((x) => `uint256 constant ${constantOf(x.field)} = ${literal(x.param)};`),
    "",
    "/// @notice The suite's one wiring plan (deploy/suite.ts), for the Solidity tests: the contracts deployed in the",
    "/// plan's order with its constructor arguments, then its bindings, made by this contract (the deploying account).",
    "/// The owner stands in for the timelock.",
    "abstract contract SuiteWiring is Deployed {",
    "    /// @dev The plan's parameters (module and name), the owner, and the replaceable parts.",
    "    struct WiringParams {",
    "        address owner;",
    ...params.map((x) => `        ${x.type} ${x.field};`),
    ...replaceable.flatMap((k) => [`        bool replace${cap(k)};`, `        address ${k}Replacement;`]),
    "    }",
    "",
    "    /// @dev The deployed parts' addresses.",
    "    struct SuiteAddresses {",
    ...steps.map((s) => `        address ${s.key};`),
    "    }",
    "",
    "    error BindingFailed(address target, string signature);",
    "    error ParameterRequired(string name);",
    "",
    "    /// @dev The plan's defaults with `owner` (a parameter without a default stays unset: the test sets it).",
    "    function _wiringDefaults(address owner) internal view returns (WiringParams memory p) {",
    "        p.owner = owner;",
    ...defaults.map((x) =>
      x.type === "uint256"
        ? `        p.${x.field} = ${constantOf(x.field)};`
        : `        p.${x.field} = ${literal(x.param)};`,
    ),
    "    }",
    "",
    "    /// @dev Deploys and binds the suite as the plan says.",
    "    function _wireSuite(WiringParams memory p) internal returns (SuiteAddresses memory s) {",
    ...params
      .filter((x) => literal(x.param) === undefined)
      .map((x) => `        require(p.${x.field} != address(0), ParameterRequired("${x.field}"));`),
    ...deploys,
    ...binds,
    "    }",
    "",
    "    function _bind(address target, string memory signature, address to) private {",
    "        (bool ok, ) = target.call(abi.encodeWithSignature(signature, to));",
    "        require(ok, BindingFailed(target, signature));",
    "    }",
    "}",
    "",
  ].join("\n");
  return prettier.format(text, { ...(await prettier.resolveConfig(OUT)), filepath: OUT });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  writeOrCheck("gen-wiring", ROOT, OUT, await render(), "npm run gen:wiring");
