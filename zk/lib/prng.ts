import { createHash } from "node:crypto";

/**
 * Deterministic byte stream: SHA-256 in counter mode, block_i = sha256(utf8(seed) || uint32be(i)),
 * bytes consumed in order. Used for the model weights and the test vectors.
 */
export function sha256Stream(seed: string): () => number {
  let counter = 0;
  let block = Buffer.alloc(0);
  let pos = 0;
  return () => {
    if (pos >= block.length) {
      const c = Buffer.alloc(4);
      c.writeUInt32BE(counter++);
      block = createHash("sha256")
        .update(Buffer.concat([Buffer.from(seed, "utf8"), c]))
        .digest();
      pos = 0;
    }
    return block[pos++];
  };
}
