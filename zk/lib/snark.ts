/** Helpers around snarkjs' shared BN254 curve (a pool of worker threads that keeps Node alive). */

interface Terminable {
  terminate(): Promise<void>;
}

/**
 * Terminates snarkjs' cached multi-threaded BN254 curve (globalThis.curve_bn128), if any. Call it
 * when a script is done with snarkjs (verify, export, multi-threaded proving), or Node never exits.
 */
export async function releaseSnarkjs(): Promise<void> {
  const g = globalThis as unknown as { curve_bn128?: Terminable | null };
  const curve = g.curve_bn128;
  if (curve) await curve.terminate();
}
