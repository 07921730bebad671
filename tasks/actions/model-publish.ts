import { writeFileSync } from "node:fs";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { Mode } from "../../src/constants.js";
import { addDirectory, carOf, newBlockstore } from "../../src/ipfs/index.js";
import { fillFileDigests, readBundleDir, versionDigests } from "../../src/models/bundle.js";
import { pipelineFor } from "../../src/models/pipelines/index.js";
import { bundleFiles } from "../../src/models/source.js";
import { ModelError } from "../../src/models/types.js";
import {
  type CommonArgs,
  io,
  parseMeasurements,
  parseModes,
  runTask,
  suiteUnits,
  taskContext,
  UsageError,
} from "../lib.js";

type Args = CommonArgs & {
  bundle: string | undefined;
  modelId: bigint;
  metadataUri: string | undefined;
  artifactUri: string | undefined;
  car: string | undefined;
  royalty: string;
  minCollateral: string;
  modes: string;
  zkVerifier: string | undefined;
  measurements: string | undefined;
  fillDigests: boolean;
};

const MB = (n: number) => `${(n / 1e6).toFixed(2)} MB`;

/**
 * `veritas model publish --bundle DIR`: checks the bundle (every file against the manifest, the pipeline's own
 * rules, and that it loads on this machine's runtime), computes its digests and IPFS CID, creates the model unless
 * `--model-id` names one of the signer's, publishes the version and prints its id. Nothing is sent when the bundle
 * is bad. `--car FILE` writes the bundle's DAG as a CAR for pinning (`ipfs dag import FILE`, or a pinning service).
 */
export default async function modelPublish(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    if (!args.bundle) throw new UsageError("--bundle DIR is required");
    const dir = path.resolve(args.bundle);
    const modes = parseModes(args.modes);
    const measurements = parseMeasurements(args.measurements);

    // The bundle: files, pipeline rules, runtime, and a real load of its sessions.
    let bundle;
    let loadMs: number;
    try {
      if (args.fillDigests) {
        const changed = fillFileDigests(dir);
        io.out(`manifest.json: ${changed.length ? `size and sha256 written for ${changed.join(", ")}` : "up to date"}`);
      }
      bundle = readBundleDir(dir);
      const pipeline = await pipelineFor(bundle.manifest);
      const t0 = performance.now();
      const runner = await pipeline.load(bundle);
      loadMs = performance.now() - t0;
      await runner.release();
    } catch (e) {
      if (e instanceof ModelError) throw new UsageError(`${e.code}: ${e.message}`);
      throw e;
    }
    const m = bundle.manifest;
    const zk = modes.includes(Mode.ZK);
    const tee = modes.includes(Mode.TEE);
    if (zk) {
      if (!m.zk) throw new UsageError(`--modes includes zk but the bundle's manifest has no zk section`);
      if (!args.zkVerifier) throw new UsageError("--zk-verifier is required for the zk mode");
    }
    if (tee && measurements.length === 0)
      throw new UsageError("--measurements is required for the tee mode (the enclave images allowed to run it)");
    if (!tee && measurements.length !== 0) throw new UsageError("--measurements is only for the tee mode");
    if (!zk && args.zkVerifier) throw new UsageError("--zk-verifier is only for the zk mode");
    const size = Object.values(m.files).reduce((a, f) => a + f.size, 0);
    const digests = versionDigests(m);
    const blocks = newBlockstore();
    const root = await addDirectory(bundleFiles(bundle), blocks);
    const cid = root.toString();
    const artifactURI = args.artifactUri ?? `ipfs://${cid}`;
    io.out(
      `Bundle ${dir}: "${m.name}" pipeline ${m.pipeline}, ${Object.keys(m.files).length} files, ${MB(size)}, ` +
        `${m.runtime.name} ${m.runtime.version} (loads here in ${loadMs.toFixed(0)} ms)`,
    );
    io.out(`  CID ipfs://${cid}`);
    io.out(`  weights digest ${digests.weightsDigest}${m.zk ? " (the circuit's weights commitment)" : ""}`);
    io.out(`  I/O schema digest ${digests.ioSchemaDigest}`);
    if (args.car) {
      const car = await carOf(root, blocks);
      writeFileSync(args.car, car);
      io.out(`  CAR ${path.resolve(args.car)} (${MB(car.length)}): pin it, e.g. \`ipfs dag import ${args.car}\``);
    }

    const ctx = await taskContext(args, hre);
    const { usd, vrt } = await suiteUnits(ctx);
    const royalty = usd.parse(args.royalty, "--royalty");
    const minCollateral = vrt.parse(args.minCollateral, "--min-collateral");

    const { modelOwner } = ctx.client;
    let modelId = args.modelId;
    if (modelId === 0n) {
      const metadataURI = args.metadataUri ?? `ipfs://${cid}/manifest.json`;
      const created = await modelOwner.createModel(metadataURI);
      modelId = created.modelId;
      io.out(
        `Model ${modelId} created, owner ${created.owner}, metadata ${metadataURI} (tx ${created.transactionHash})`,
      );
    }
    const { versionId, transactionHash } = await modelOwner.publishVersion(modelId, {
      weightsDigest: digests.weightsDigest,
      ioSchemaDigest: digests.ioSchemaDigest,
      artifactURI,
      royalty,
      minCollateral,
      modes,
      zkVerifier: args.zkVerifier,
      teeMeasurements: measurements,
    });
    io.out(
      `Version ${versionId} of model ${modelId} published: ${artifactURI}, modes ${args.modes}, ` +
        `royalty ${usd.format(royalty)}, min collateral ` +
        `${vrt.format(minCollateral)} (tx ${transactionHash})`,
    );
    io.out(`Inspect it: npx hardhat veritas model inspect ${versionId}`);
    return { modelId, versionId, cid, artifactURI, ...digests };
  });
}
