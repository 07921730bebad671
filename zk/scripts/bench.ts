/**
 * Measures proving time of the reference model in one warm process.
 *
 * Usage: npx tsx zk/scripts/bench.ts [runs=5]
 */
import { proveInference, releaseSnarkjs } from "../lib/prover.js";

const runs = Number(process.argv[2] ?? 5);
const input = [12, -7, 100, -128, 127, 0, -55, 31];

for (const singleThread of [true, false]) {
  const times: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const r = await proveInference({ input, jobTag: BigInt(i + 1) }, { singleThread });
    times.push(r.provingMs);
  }
  const [first, ...warm] = times;
  warm.sort((a, b) => a - b);
  const median = warm[Math.floor(warm.length / 2)];
  console.log(
    `${singleThread ? "single-thread (default)" : "worker pool          "}: first ${first.toFixed(0)} ms, ` +
      `warm median ${median.toFixed(0)} ms (min ${warm[0].toFixed(0)}, max ${warm[warm.length - 1].toFixed(0)}, ${runs} runs)`,
  );
}
await releaseSnarkjs();
