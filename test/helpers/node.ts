import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import onnxProto from "onnx-proto";
import { id, Wallet, type Provider } from "ethers";
import { SimulatedEnclave } from "../../src/tee.js";
import { sha256Hex } from "../../src/models/bundle.js";
import { bundleDir, materializeBundle } from "../../src/models/materialize.js";
import { silentLogger, type Logger } from "../../src/node/logger.js";
import { VeritasNode, type NodeConfig } from "../../src/node/operator.js";
import { MEASUREMENT, registerEnclave } from "./fixtures.js";
import { deployOptimisticFixture, type OptimisticFixture } from "./optimistic.js";

/**
 * The optimistic fixture (reference model: version 1 ZK + TEE, version 2 optimistic + ZK, version 3 an opaque
 * optimistic-only model) with the nodes' enclave keys registered, for tests of the node operator.
 */
export type NodeFixture = OptimisticFixture & { enclave: SimulatedEnclave; enclave2: SimulatedEnclave };

export async function deployNodeFixture(ethers: HardhatEthers, helpers: NetworkHelpers): Promise<NodeFixture> {
  const f = await deployOptimisticFixture(ethers, helpers);
  const service = new Wallet(id("veritas-test-attestation-service"), ethers.provider);
  await f.attestation.connect(f.governance).setAttestationSigner(service.address, true);
  await f.tee.connect(f.governance).approveMeasurement(MEASUREMENT, "veritas-enclave-image-v1");
  const enclave = new SimulatedEnclave(MEASUREMENT, new Wallet(id("node-enclave-1")));
  const enclave2 = new SimulatedEnclave(MEASUREMENT, new Wallet(id("node-enclave-2")));
  await registerEnclave(f, service, f.node, enclave);
  await registerEnclave(f, service, f.node2, enclave2);
  return { ...f, enclave, enclave2 };
}

/** A fresh directory for a node's journal and files. */
export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), "veritas-node-"));
}

/** The reference model's bundle directory (materialized from its recipe, models/mlp-8x8x3). */
export function referenceBundle(): string {
  materializeBundle("mlp-8x8x3");
  return bundleDir("mlp-8x8x3");
}

/**
 * A copy of the reference bundle in `dir` with one weight of its ONNX file changed. `consistent`: the manifest's
 * file digest is updated too (the bundle reads back, but its weights no longer give the registered commitment);
 * otherwise the manifest still names the old bytes.
 */
export function tamperedBundle(dir: string, consistent = false): string {
  const src = referenceBundle();
  const out = path.join(dir, consistent ? "tampered-consistent" : "tampered");
  cpSync(src, out, { recursive: true });
  const { onnx } = onnxProto;
  const model = onnx.ModelProto.decode(readFileSync(path.join(src, "model.onnx")));
  const w1 = model.graph!.initializer!.find((t) => t.name === "W1")!;
  const raw = Buffer.from(w1.rawData!);
  raw[0] = raw[0] ^ 1;
  w1.rawData = raw;
  const bytes = onnx.ModelProto.encode(model).finish();
  writeFileSync(path.join(out, "model.onnx"), bytes);
  if (consistent) {
    const m = JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8"));
    m.files.model = { ...m.files.model, size: bytes.length, sha256: sha256Hex(bytes) };
    writeFileSync(path.join(out, "manifest.json"), JSON.stringify(m, null, 2));
  }
  return out;
}

/** A node for `f` serving the reference model's versions 1 and 2 in every mode (overrides merged in). */
export function makeNode(
  f: NodeFixture,
  dir: string,
  o: Partial<NodeConfig> = {},
  deps: { signer?: HardhatEthersSigner; provider?: Provider; enclave?: SimulatedEnclave; logger?: Logger } = {},
): Promise<VeritasNode> {
  return f.escrow.getAddress().then(
    (escrow) =>
      new VeritasNode(
        {
          contracts: { escrow },
          models: [
            { versionId: 1, modelId: 1, bundle: referenceBundle() },
            { versionId: 2, modelId: 1, bundle: referenceBundle() },
          ],
          modes: ["tee", "zk", "optimistic"],
          journalPath: path.join(dir, "journal.jsonl"),
          teeMaxWaitMs: 0,
          ...o,
        },
        {
          signer: deps.signer ?? f.node,
          provider: deps.provider ?? f.ethers.provider,
          enclave: deps.enclave ?? f.enclave,
          logger: deps.logger ?? silentLogger,
        },
      ),
  );
}

/** A provider whose `getLogs` / `getBlockNumber` throw while `state.failures` > 0 (one failure per call). */
export function flakyProvider(inner: Provider, state: { failures: number; calls: number }): Provider {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if ((prop === "getLogs" || prop === "getBlockNumber") && typeof v === "function") {
        return async (...args: unknown[]) => {
          state.calls++;
          if (state.failures > 0) {
            state.failures--;
            throw new Error(`injected RPC failure in ${String(prop)}`);
          }
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
