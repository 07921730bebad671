import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

/** Every file under `dir` (recursively, directories left out), as paths joined to `dir`. A missing `dir` has none. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => path.join(e.parentPath, e.name));
}

/**
 * Every source file under `dir` of the project at `root` whose name matches `pattern`, declaration files (.d.ts) left
 * out: project-relative, forward slashes. A missing `dir` has none.
 */
export function sourceFiles(root: string, dir: string, pattern: RegExp): string[] {
  return filesUnder(path.join(root, dir))
    .map((f) => path.relative(root, f).split(path.sep).join("/"))
    .filter((f) => pattern.test(f) && !f.endsWith(".d.ts"));
}

/**
 * The relative imports and re-exports of a TypeScript source (`import`, `export … from`, `import()`), each with the
 * project path it names: posix, relative to the project, `.js` specifiers read as their `.ts` source.
 */
export function relativeImports(file: string, text: string): { specifier: string; target: string }[] {
  const out: { specifier: string; target: string }[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1])).replace(/\.js$/, ".ts");
    out.push({ specifier: m[1], target });
  }
  return out;
}
