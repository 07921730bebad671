import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The end of a generator (`npm run gen:…`): with `--check` on the command line, compares `text` with `file` and exits 1
 * when it differs (what the tests run); otherwise writes it. `root` makes the printed path relative.
 */
export function writeOrCheck(generator: string, root: string, file: string, text: string, command: string): void {
  const rel = path.relative(root, file);
  if (process.argv.includes("--check")) {
    if (readFileSync(file, "utf8") !== text) {
      console.error(`${generator}: ${rel} is out of date: run \`${command}\``);
      process.exit(1);
    }
    console.log(`${generator}: ${rel} is current`);
  } else {
    writeFileSync(file, text);
    console.log(`${generator}: wrote ${rel}`);
  }
}
