/**
 * Generates docs/reference/: one Markdown page per Solidity interface in contracts/interfaces, listing its types,
 * functions, events and errors with their NatSpec, read from the solc AST that Hardhat keeps in its build info
 * (artifacts/build-info/<buildInfoId>.output.json). Run `npm run docs:reference` (builds first);
 * `npm run docs:reference -- --check` only compares and exits 1 if a page is out of date.
 *
 * Plain Node (24 strips the types): `node scripts/gen-docs.ts [--check]`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const INTERFACES = path.join(ROOT, "artifacts", "contracts", "interfaces");
const OUT = path.join(ROOT, "docs", "reference");

type Doc = { text: string } | undefined;
type TypeNode = {
  nodeType: string;
  name?: string;
  stateMutability?: string;
  pathNode?: { name: string };
  baseType?: TypeNode;
  length?: { value?: string } | null;
  keyType?: TypeNode;
  valueType?: TypeNode;
};
type Variable = { name: string; typeName: TypeNode; storageLocation?: string; indexed?: boolean; documentation?: Doc };
type Node = {
  nodeType: string;
  name: string;
  kind?: string;
  documentation?: Doc;
  parameters?: { parameters: Variable[] };
  returnParameters?: { parameters: Variable[] };
  members?: (Variable & { nodeType: string })[];
  stateMutability?: string;
  visibility?: string;
  functionSelector?: string;
  eventSelector?: string;
  errorSelector?: string;
  anonymous?: boolean;
};
type ContractNode = Node & {
  id: number;
  contractKind: string;
  baseContracts: { baseName: { name: string; referencedDeclaration: number } }[];
  nodes: Node[];
};
/** An interface to document, with the contracts its build info defines (to document bases from dependencies). */
type Loaded = { contract: ContractNode; source: string; byId: Map<number, { contract: ContractNode; source: string }> };

export type NatSpec = { title: string; notice: string; dev: string; params: Record<string, string>; returns: string[] };

/** Parses a NatSpec comment's text (as solc stores it) into its tags. Untagged text is the notice. */
export function parseNatSpec(doc: Doc): NatSpec {
  const spec: NatSpec = { title: "", notice: "", dev: "", params: {}, returns: [] };
  if (!doc) return spec;
  let tag = "notice";
  let buf: string[] = [];
  const flush = () => {
    const text = buf.join(" ").replace(/\s+/g, " ").trim();
    buf = [];
    if (!text) return;
    if (tag === "param") {
      const [name, ...rest] = text.split(" ");
      spec.params[name] = rest.join(" ");
    } else if (tag === "return") spec.returns.push(text);
    else if (tag === "notice" || tag === "dev" || tag === "title")
      spec[tag] = spec[tag] ? `${spec[tag]} ${text}` : text;
    else if (tag === "inheritdoc") spec.dev = spec.dev ? `${spec.dev} (see ${text})` : `See ${text}.`;
  };
  for (const line of doc.text.split("\n")) {
    const m = /^\s*@(\w+)(?::[\w-]+)?\s*(.*)$/.exec(line);
    if (m) {
      flush();
      tag = m[1];
      buf.push(m[2]);
    } else buf.push(line);
  }
  flush();
  return spec;
}

function typeString(t: TypeNode): string {
  switch (t.nodeType) {
    case "ElementaryTypeName":
      return t.name === "address" && t.stateMutability === "payable" ? "address payable" : t.name!;
    case "UserDefinedTypeName":
      return t.pathNode?.name ?? t.name ?? "?";
    case "ArrayTypeName":
      return `${typeString(t.baseType!)}[${t.length?.value ?? ""}]`;
    case "Mapping":
      return `mapping(${typeString(t.keyType!)} => ${typeString(t.valueType!)})`;
    default:
      return t.name ?? t.nodeType;
  }
}

function variable(v: Variable, withLocation = true): string {
  const loc = withLocation && v.storageLocation && v.storageLocation !== "default" ? ` ${v.storageLocation}` : "";
  return `${typeString(v.typeName)}${loc}${v.indexed ? " indexed" : ""}${v.name ? ` ${v.name}` : ""}`;
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

/** Type names defined by the interfaces (structs, enums) → link target, filled while rendering. */
type Links = Map<string, string>;

function linkType(type: string, links: Links, page: string): string {
  const base = type.replace(/\[\d*\]$/g, "").replace(/^.*\./, "");
  const target = links.get(base);
  if (!target) return `\`${type}\``;
  const [file, anchor] = target.split("#");
  return `[\`${type}\`](${file === page ? "" : file}#${anchor})`;
}

function paramTable(
  vars: Variable[],
  spec: Record<string, string>,
  links: Links,
  page: string,
  head = "parameter",
): string[] {
  if (vars.length === 0) return [];
  const rows = vars.map(
    (v, i) =>
      `| ${v.name ? `\`${v.name}\`` : `#${i}`} | ${linkType(typeString(v.typeName), links, page)} | ${cell(spec[v.name] ?? "")} |`,
  );
  return [`| ${head} | type | description |`, "|---|---|---|", ...rows, ""];
}

function describe(spec: NatSpec): string[] {
  const out: string[] = [];
  if (spec.notice) out.push(spec.notice, "");
  if (spec.dev) out.push(`*Dev:* ${spec.dev}`, "");
  return out;
}

export type InterfacePage = {
  name: string;
  file: string;
  source: string;
  spec: NatSpec;
  markdown: string;
  counts: Record<string, number>;
};

/** Loads the interfaces' AST from the build info their artifacts name. */
export function loadInterfaces(): Loaded[] {
  if (!existsSync(INTERFACES))
    throw new Error("gen-docs: no artifacts/contracts/interfaces: run `npx hardhat build` first");
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) =>
      statSync(path.join(dir, n)).isDirectory() ? walk(path.join(dir, n)) : [path.join(dir, n)],
    );
  type Info = { sources: Record<string, { ast: { nodes: ContractNode[] } }>; byId: Loaded["byId"] };
  const infos = new Map<string, Info>();
  const found: Loaded[] = [];
  for (const file of walk(INTERFACES)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const a = JSON.parse(readFileSync(file, "utf8")) as {
      contractName: string;
      sourceName: string;
      inputSourceName: string;
      buildInfoId: string;
    };
    if (!a.buildInfoId) continue;
    let info = infos.get(a.buildInfoId);
    if (!info) {
      const out = JSON.parse(
        readFileSync(path.join(ROOT, "artifacts", "build-info", `${a.buildInfoId}.output.json`), "utf8"),
      ) as {
        output: { sources: Info["sources"] };
      };
      const byId: Info["byId"] = new Map();
      for (const [name, src] of Object.entries(out.output.sources)) {
        for (const n of src.ast.nodes) {
          if (n.nodeType === "ContractDefinition")
            byId.set(n.id, { contract: n, source: name.replace(/^npm\//, "").replace(/^project\//, "") });
        }
      }
      info = { sources: out.output.sources, byId };
      infos.set(a.buildInfoId, info);
    }
    const ast = info.sources[a.inputSourceName]?.ast;
    const contract = ast?.nodes.find((n) => n.nodeType === "ContractDefinition" && n.name === a.contractName);
    if (!contract) throw new Error(`gen-docs: no AST for ${a.contractName} in ${a.buildInfoId}`);
    if (contract.contractKind === "interface") found.push({ contract, source: a.sourceName, byId: info.byId });
  }
  return found.sort((x, y) => x.contract.name.localeCompare(y.contract.name));
}

/** Renders every interface page and the index. */
export function renderReference(): { pages: InterfacePage[]; index: string } {
  const interfaces = loadInterfaces();
  const links: Links = new Map();
  for (const { contract } of interfaces) {
    for (const n of contract.nodes) {
      if (n.nodeType === "StructDefinition") links.set(n.name, `${contract.name}.md#struct-${n.name.toLowerCase()}`);
      if (n.nodeType === "EnumDefinition") links.set(n.name, `${contract.name}.md#enum-${n.name.toLowerCase()}`);
    }
  }
  const names = new Set(interfaces.map((i) => i.contract.name));
  const pages = interfaces.map((i) => renderInterface(i, links, names));
  const index = [
    "# Contract reference",
    "",
    GENERATED,
    "",
    "Every struct, event, custom error and external function of Veritas is declared in an interface in",
    "`contracts/interfaces/`; the contracts implement them. One page per interface:",
    "",
    "| interface | functions | events | errors | what it is |",
    "|---|---:|---:|---:|---|",
    ...pages.map(
      (p) =>
        `| [\`${p.name}\`](${p.file}) | ${p.counts.functions} | ${p.counts.events} | ${p.counts.errors} | ${cell(firstSentence(p.spec.notice))} |`,
    ),
    "",
  ].join("\n");
  return { pages, index };
}

const GENERATED =
  "<!-- Generated by `npm run docs:reference` (scripts/gen-docs.ts) from the NatSpec of contracts/interfaces. Do not edit by hand. -->";

function firstSentence(s: string): string {
  const m = /^(.*?[.!?])(\s|$)/.exec(s);
  return m ? m[1] : s;
}

/** One function, event or error: heading, signature, NatSpec, parameters, selector. */
function member(n: Node, links: Links, page: string): string[] {
  const spec = parseNatSpec(n.documentation);
  const params = n.parameters!.parameters;
  const out: string[] = [`### \`${n.name}\``, "", "```solidity"];
  if (n.nodeType === "FunctionDefinition") {
    const returns = n.returnParameters!.parameters;
    const mutability = n.stateMutability && n.stateMutability !== "nonpayable" ? ` ${n.stateMutability}` : "";
    const ret = returns.length ? ` returns (${returns.map((r) => variable(r)).join(", ")})` : "";
    out.push(
      `function ${n.name}(${params.map((p) => variable(p)).join(", ")}) ${n.visibility}${mutability}${ret}`,
      "```",
      "",
    );
    out.push(...describe(spec), ...paramTable(params, spec.params, links, page));
    if (returns.length) {
      const named: Record<string, string> = {};
      returns.forEach((r, i) => {
        const text = spec.returns[i] ?? "";
        named[r.name] = r.name && text.startsWith(`${r.name} `) ? text.slice(r.name.length + 1) : text;
      });
      // Unnamed, undocumented returns are fully shown by the signature.
      if (returns.some((r) => r.name || named[r.name])) out.push(...paramTable(returns, named, links, page, "returns"));
    }
    if (n.functionSelector) out.push(`Selector: \`0x${n.functionSelector}\``, "");
  } else if (n.nodeType === "EventDefinition") {
    out.push(
      `event ${n.name}(${params.map((p) => variable(p, false)).join(", ")})${n.anonymous ? " anonymous" : ""}`,
      "```",
      "",
    );
    out.push(...describe(spec), ...paramTable(params, spec.params, links, page));
    if (n.eventSelector) out.push(`Topic 0: \`0x${n.eventSelector}\``, "");
  } else {
    out.push(`error ${n.name}(${params.map((p) => variable(p, false)).join(", ")})`, "```", "");
    out.push(...describe(spec), ...paramTable(params, spec.params, links, page));
    if (n.errorSelector) out.push(`Selector: \`0x${n.errorSelector}\``, "");
  }
  return out;
}

function renderInterface(loaded: Loaded, links: Links, names: Set<string>): InterfacePage {
  const { contract: c, source } = loaded;
  const page = `${c.name}.md`;
  const spec = parseNatSpec(c.documentation);
  const of = (t: string) => c.nodes.filter((n) => n.nodeType === t);
  const structs = of("StructDefinition");
  const enums = of("EnumDefinition");
  const functions = of("FunctionDefinition");
  const events = of("EventDefinition");
  const errors = of("ErrorDefinition");
  const out: string[] = [`# ${c.name}`, "", GENERATED, ""];
  const bases = c.baseContracts.map((b) => b.baseName.name);
  const inherits = bases.map((b) => (names.has(b) ? `[\`${b}\`](${b}.md)` : `\`${b}\``)).join(", ");
  out.push(
    `Source: [\`${source}\`](../../${source})${bases.length ? ` · inherits ${inherits}` : ""}`,
    "",
    ...describe(spec),
  );
  const toc = [
    ["Types", structs.length + enums.length],
    ["Functions", functions.length],
    ["Events", events.length],
    ["Errors", errors.length],
  ].filter(([, n]) => Number(n) > 0);
  if (toc.length > 1) out.push(toc.map(([t, n]) => `[${t}](#${String(t).toLowerCase()}) (${n})`).join(" · "), "");

  if (structs.length + enums.length > 0) {
    out.push("## Types", "");
    for (const e of enums) {
      out.push(
        `<a id="enum-${e.name.toLowerCase()}"></a>`,
        `### enum \`${e.name}\``,
        "",
        ...describe(parseNatSpec(e.documentation)),
      );
      out.push("| value | name |", "|---:|---|", ...(e.members ?? []).map((m, i) => `| ${i} | \`${m.name}\` |`), "");
    }
    for (const s of structs) {
      const ss = parseNatSpec(s.documentation);
      out.push(`<a id="struct-${s.name.toLowerCase()}"></a>`, `### struct \`${s.name}\``, "", ...describe(ss));
      out.push(...paramTable(s.members ?? [], ss.params, links, page, "field"));
    }
  }
  for (const [title, list] of [
    ["Functions", functions],
    ["Events", events],
    ["Errors", errors],
  ] as const) {
    if (list.length === 0) continue;
    out.push(`## ${title}`, "");
    for (const n of list) out.push(...member(n, links, page));
  }
  // Bases from dependencies (e.g. OpenZeppelin's IERC165) have no page: document their members here.
  const external: { contract: ContractNode; source: string }[] = [];
  const collect = (node: ContractNode) => {
    for (const b of node.baseContracts) {
      const base = loaded.byId.get(b.baseName.referencedDeclaration);
      if (!base || names.has(base.contract.name) || external.some((e) => e.contract.id === base.contract.id)) continue;
      external.push(base);
      collect(base.contract);
    }
  };
  collect(c);
  for (const base of external) {
    out.push(
      `## Inherited from \`${base.contract.name}\``,
      "",
      `Source: \`${base.source}\``,
      "",
      ...describe(parseNatSpec(base.contract.documentation)),
    );
    for (const kind of ["FunctionDefinition", "EventDefinition", "ErrorDefinition"]) {
      for (const n of base.contract.nodes.filter((x) => x.nodeType === kind)) out.push(...member(n, links, page));
    }
  }
  return {
    name: c.name,
    file: page,
    source,
    spec,
    markdown:
      out
        .join("\n")
        .replace(/\n{3,}/g, "\n\n")
        .trimEnd() + "\n",
    counts: { functions: functions.length, events: events.length, errors: errors.length },
  };
}

function main() {
  const check = process.argv.includes("--check");
  const { pages, index } = renderReference();
  const files = new Map<string, string>([
    ["README.md", index],
    ...pages.map((p) => [p.file, p.markdown] as [string, string]),
  ]);
  if (check) {
    const stale = [...files]
      .filter(([f, text]) => !existsSync(path.join(OUT, f)) || readFileSync(path.join(OUT, f), "utf8") !== text)
      .map(([f]) => f);
    const extra = existsSync(OUT) ? readdirSync(OUT).filter((f) => !files.has(f)) : [];
    if (stale.length + extra.length > 0) {
      console.error(`docs/reference is out of date (${[...stale, ...extra].join(", ")}): run npm run docs:reference`);
      process.exit(1);
    }
    console.log(`docs/reference is up to date (${pages.length} interfaces)`);
    return;
  }
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  for (const [f, text] of files) writeFileSync(path.join(OUT, f), text);
  console.log(`docs/reference: ${pages.length} interface pages and an index written`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
