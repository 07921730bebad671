import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { io, type TaskResult } from "../../tasks/lib.js";

/** One `npx hardhat veritas …` run: its result and what it printed. */
export type Run = { result: TaskResult<Record<string, unknown>>; out: string; err: string };

/**
 * Runs `veritas` tasks in process against the deployment record `deployment()` returns, capturing what they print
 * (`start(...).out` fills while the command runs).
 */
export function veritasCli(hre: HardhatRuntimeEnvironment, deployment: () => string) {
  function start(command: string | string[], args: Record<string, unknown>): { out: string[]; done: Promise<Run> } {
    const out: string[] = [];
    const err: string[] = [];
    const saved = { ...io };
    io.out = (l) => out.push(l);
    io.err = (l) => err.push(l);
    const path = ["veritas", ...(Array.isArray(command) ? command : [command])];
    const done = (async () => {
      try {
        const result = (await hre.tasks.getTask(path).run({ deployment: deployment(), ...args })) as Run["result"];
        return { result, out: out.join("\n"), err: err.join("\n") };
      } finally {
        Object.assign(io, saved);
      }
    })();
    return { out, done };
  }
  return {
    start,
    veritas: (command: string | string[], args: Record<string, unknown>): Promise<Run> => start(command, args).done,
    /** The value of a successful run (throws with what it printed otherwise). */
    value: (r: Run) => {
      if (!r.result.success) throw new Error(`command failed: ${r.err}`);
      return r.result.value;
    },
    /** The error of a failed run (throws if it succeeded). */
    failure: (r: Run) => {
      if (r.result.success) throw new Error(`command succeeded: ${r.out}`);
      return r.result.error;
    },
  };
}
