import path from "node:path";

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
