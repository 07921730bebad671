import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import onnxProto from "onnx-proto";
import { id, Wallet, type Provider } from "ethers";
import { SimulatedEnclave } from "../../scripts/lib/tee.js";
import { ZK_PATHS } from "../../scripts/lib/zk/constants.js";
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

/** A copy of the reference ONNX artefact in `dir` with one weight changed (its digest no longer matches). */
export function tamperedArtefact(dir: string): string {
  const { onnx } = onnxProto;
  const model = onnx.ModelProto.decode(readFileSync(ZK_PATHS.onnx));
  const w1 = model.graph!.initializer!.find((t) => t.name === "W1")!;
  const raw = Buffer.from(w1.rawData!);
  raw[0] = raw[0] ^ 1;
  w1.rawData = raw;
  const file = path.join(dir, "tampered.onnx");
  writeFileSync(file, onnx.ModelProto.encode(model).finish());
  return file;
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
            { versionId: 1, modelId: 1, onnx: ZK_PATHS.onnx },
            { versionId: 2, modelId: 1, onnx: ZK_PATHS.onnx },
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
