/**
 * `npm run models:build [-- NAME...]`: materializes the bundle recipes of models/ (default: all of them) into
 * build/bundles/<name>/, checking every file against its manifest, and prints each bundle's directory and CID, ready
 * for `npx hardhat veritas model publish --bundle build/bundles/<name>`.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { materializeBundle, RECIPES_DIR } from "../../src/models/materialize.js";
import { bundleCid } from "../../src/models/source.js";

const names = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync(RECIPES_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
for (const name of names) {
  const b = materializeBundle(name);
  const size = Object.values(b.manifest.files).reduce((a, f) => a + f.size, 0);
  console.log(
    `${path.relative(process.cwd(), b.source)}  ${(size / 1e6).toFixed(2)} MB  pipeline ${b.manifest.pipeline}  ipfs://${await bundleCid(b)}`,
  );
}
