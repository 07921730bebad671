/**
 * The models a node (or watcher, or arbitrator) runs: for each version, the bundle — from the operator's configured
 * source, else from the version's `artifactURI` through the configured IPFS gateways — checked against the
 * registry's digests, its pipeline loaded once and kept. A bundle that does not verify is refused with the reason,
 * and refused again without refetching until `forget(version)`.
 */
import { checkBundleDigests, versionDigests } from "../models/bundle.js";
import { pipelineFor } from "../models/pipelines/index.js";
import { loadBundle } from "../models/source.js";
import type { LoadedBundle, Manifest, Pipeline, PipelineRunner, ZkPipelineRunner } from "../models/types.js";

/** The part of the registry a model host reads. */
export type VersionReader = {
  getVersion(versionId: bigint): Promise<{ weightsDigest: string; ioSchemaDigest: string; artifactURI: string }>;
};

export type ModelHostOptions = {
  /** Bundle source per version id (a directory, file://, ipfs:// or http(s):// URI); others use the artifactURI. */
  sources?: Map<bigint, string>;
  /** Serve only the versions in `sources` (default true when `sources` is given). */
  onlyConfigured?: boolean;
  /** IPFS gateways for ipfs:// sources. */
  gateways?: string[];
  /** Directory relative paths resolve against. */
  baseDir?: string;
};

/** A version ready to run. */
export type HostedModel = {
  versionId: bigint;
  bundle: LoadedBundle;
  manifest: Manifest;
  pipeline: Pipeline;
  runner: PipelineRunner;
  /** The bundle's digests (equal to the registry's). */
  weightsDigest: string;
  /** Where it was loaded from. */
  source: string;
  /** ms to fetch, verify and load. */
  loadMs: number;
};

export class ModelHost {
  private readonly loaded = new Map<bigint, Promise<HostedModel>>();
  private readonly refused = new Map<bigint, Error>();

  constructor(
    private readonly registry: VersionReader,
    private readonly o: ModelHostOptions = {},
  ) {}

  /** Whether this host would try to serve `versionId` at all (configured, or any version when not restricted). */
  serves(versionId: bigint): boolean {
    const only = this.o.onlyConfigured ?? this.o.sources !== undefined;
    return !only || (this.o.sources?.has(versionId) ?? false);
  }

  /** The version's model, loaded and verified (cached). Throws a `ModelError` (or an RPC error) when it cannot be. */
  get(versionId: bigint): Promise<HostedModel> {
    const refused = this.refused.get(versionId);
    if (refused) return Promise.reject(refused);
    let p = this.loaded.get(versionId);
    if (!p) {
      p = this.load(versionId);
      this.loaded.set(versionId, p);
      p.catch((e: Error) => {
        this.loaded.delete(versionId);
        // A bundle that does not verify stays refused; fetch failures (gateway down) are tried again.
        if ((e as { code?: string }).code !== "FETCH_FAILED") this.refused.set(versionId, e);
      });
    }
    return p;
  }

  /** Drops a version (it is fetched and checked again on the next `get`). */
  async forget(versionId: bigint): Promise<void> {
    this.refused.delete(versionId);
    const p = this.loaded.get(versionId);
    this.loaded.delete(versionId);
    await (await p?.catch(() => undefined))?.runner.release();
  }

  /** Releases every loaded model's sessions. */
  async release(): Promise<void> {
    const all = [...this.loaded.values()];
    this.loaded.clear();
    for (const p of all) await (await p.catch(() => undefined))?.runner.release();
  }

  /** Whether a hosted model can prove (its pipeline has a ZK circuit). */
  static canProve(m: HostedModel): m is HostedModel & { runner: ZkPipelineRunner } {
    return typeof (m.runner as Partial<ZkPipelineRunner>).prove === "function" && m.manifest.zk !== undefined;
  }

  private async load(versionId: bigint): Promise<HostedModel> {
    const t0 = Date.now();
    const version = await this.registry.getVersion(versionId);
    const source = this.o.sources?.get(versionId) ?? version.artifactURI;
    const bundle = await loadBundle(source, { gateways: this.o.gateways, baseDir: this.o.baseDir });
    checkBundleDigests(bundle, version);
    const pipeline = await pipelineFor(bundle.manifest);
    const runner = await pipeline.load(bundle);
    return {
      versionId,
      bundle,
      manifest: bundle.manifest,
      pipeline,
      runner,
      weightsDigest: versionDigests(bundle.manifest).weightsDigest,
      source,
      loadMs: Date.now() - t0,
    };
  }
}
