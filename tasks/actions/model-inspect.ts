import { ZeroAddress, ZeroHash } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { Mode } from "../../src/constants.js";
import { checkBundleDigests, readBundleDir, versionDigests } from "../../src/models/bundle.js";
import { pipelineFor } from "../../src/models/pipelines/index.js";
import { bundleCid, loadBundle } from "../../src/models/source.js";
import { ModelError, type LoadedBundle, type Manifest } from "../../src/models/types.js";
import { type CommonArgs, io, runTask, suiteUnits, taskContext, UsageError } from "../lib.js";

type Args = CommonArgs & { versionId: string | undefined; gateway: string | undefined; bundle: string | undefined };

/** The names of `Mode` values. */
function modeNames(modes: readonly number[]): string {
  return (
    (Object.entries(Mode) as [string, number][])
      .filter(([, m]) => modes.includes(m))
      .map(([name]) => name.toLowerCase())
      .join(",") || "none"
  );
}

/**
 * `veritas model inspect VERSION`: prints a version as the registry records it (model, owner, digests, artefact,
 * modes, terms, enclave images, ZK verifier). With `--gateway URL[,URL]` (for an `ipfs://` artefact; an http(s)
 * artefact is fetched directly) or `--bundle DIR` it also fetches the bundle, verifies it against the CID and the
 * registered digests, and prints its manifest: pipeline, runtime, input and output, files.
 */
export default async function modelInspect(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    if (!args.versionId || !/^\d+$/.test(args.versionId)) throw new UsageError("VERSION (a version id) is required");
    const versionId = BigInt(args.versionId);
    const ctx = await taskContext(args, hre);
    const { modelOwner } = ctx.client;
    const v = await modelOwner.getVersion(versionId);
    const { owner } = await modelOwner.getModel(v.modelId);
    const { usd, vrt } = await suiteUnits(ctx);
    const published = new Date(Number(v.publishedAt) * 1000).toISOString();
    io.out(`Version ${versionId} of model ${v.modelId} (owner ${owner})${v.deprecated ? ", DEPRECATED" : ""}`);
    io.out(`  artefact        ${v.artifactURI}`);
    io.out(`  weights digest  ${v.weightsDigest}`);
    io.out(`  I/O schema      ${v.ioSchemaDigest === ZeroHash ? "(none registered)" : v.ioSchemaDigest}`);
    io.out(`  modes           ${modeNames(v.modes)}`);
    io.out(`  royalty         ${usd.format(v.royalty)} per job`);
    io.out(`  min collateral  ${vrt.format(v.minCollateral)}`);
    if (v.zkVerifier !== ZeroAddress) io.out(`  zk verifier     ${v.zkVerifier} (codehash ${v.zkVerifierCodehash})`);
    for (const m of v.teeMeasurements) io.out(`  enclave image   ${m}`);
    io.out(`  published       ${published}`);

    let bundle: LoadedBundle | undefined;
    try {
      if (args.bundle) bundle = readBundleDir(args.bundle);
      else if (args.gateway || /^https?:\/\//.test(v.artifactURI)) {
        const gateways = (args.gateway ?? "")
          .split(",")
          .map((g) => g.trim())
          .filter(Boolean);
        bundle = await loadBundle(v.artifactURI, { gateways });
      }
      if (bundle) {
        checkBundleDigests(bundle, { weightsDigest: v.weightsDigest, ioSchemaDigest: v.ioSchemaDigest });
        // A local directory: the version names its bundle by CID, which binds every byte (a ZK manifest's weights
        // digest is the circuit's commitment, which does not).
        if (args.bundle && v.artifactURI.startsWith("ipfs://")) {
          const cid = await bundleCid(bundle);
          if (`ipfs://${cid}` !== v.artifactURI.replace(/\/+$/, ""))
            throw new ModelError(
              "CID_MISMATCH",
              `${bundle.source} is ipfs://${cid}, the version's artefact is ${v.artifactURI}`,
            );
        }
        // The pipeline's own checks (e.g. that the ONNX weights yield the registered commitment) and a real load.
        await (await (await pipelineFor(bundle.manifest)).load(bundle)).release();
      }
    } catch (e) {
      if (e instanceof ModelError) throw new UsageError(`the bundle does not match version ${versionId}: ${e.message}`);
      throw e;
    }
    let manifest: Manifest | undefined;
    if (bundle) {
      manifest = bundle.manifest;
      const d = versionDigests(manifest);
      io.out(
        `Bundle ${bundle.source}: verified (CID and every file), digests match the version, loads on this runtime`,
      );
      io.out(`  name            ${manifest.name}${manifest.modelVersion ? ` ${manifest.modelVersion}` : ""}`);
      if (manifest.license) io.out(`  license         ${manifest.license}`);
      io.out(`  pipeline        ${manifest.pipeline}`);
      const r = manifest.runtime;
      io.out(
        `  runtime         ${r.name} ${r.version} ${r.executionProvider}, threads ${r.intraOpNumThreads}/${r.interOpNumThreads}, ` +
          `graph optimization ${r.graphOptimizationLevel}`,
      );
      const schema = (s: Manifest["input"]) =>
        [s.kind, s.mediaTypes?.join("|"), s.length !== undefined ? `length ${s.length}` : undefined, s.description]
          .filter(Boolean)
          .join(", ");
      io.out(`  input           ${schema(manifest.input)}`);
      io.out(`  output          ${schema(manifest.output)}`);
      for (const [role, f] of Object.entries(manifest.files))
        io.out(`  file ${role.padEnd(10)} ${f.path} (${f.size} bytes, sha256 ${f.sha256.slice(0, 16)}…)`);
      io.out(`  manifest digest ${d.manifestDigest}`);
    }
    return {
      versionId,
      modelId: v.modelId,
      owner,
      artifactURI: v.artifactURI,
      weightsDigest: v.weightsDigest,
      ioSchemaDigest: v.ioSchemaDigest,
      modes: v.modesMask,
      deprecated: v.deprecated,
      measurements: v.teeMeasurements,
      manifest,
    };
  });
}
