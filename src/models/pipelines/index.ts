/**
 * The pipeline registry: `manifest.pipeline` → the code that runs it. Pipelines load lazily, so a node that serves
 * only the MLP never loads the OCR stack (sharp, OpenCV).
 */
import { ModelError, type Manifest, type Pipeline } from "../types.js";

const loaders: Record<string, () => Promise<Pipeline>> = {
  tensors: async () => (await import("./tensors.js")).tensorsPipeline,
  "quantized-mlp": async () => (await import("./quantized-mlp.js")).quantizedMlpPipeline,
  "paddle-ocr": async () => (await import("./paddle-ocr.js")).paddleOcrPipeline,
};

/** Registers a pipeline under its name (a node or an integrator adding its own). */
export function registerPipeline(name: string, load: () => Promise<Pipeline>): void {
  loaders[name] = load;
}

/** The names of the registered pipelines. */
export function pipelineNames(): string[] {
  return Object.keys(loaders).sort();
}

/** The pipeline named `name`; `UNKNOWN_PIPELINE` if none is registered. */
export async function getPipeline(name: string): Promise<Pipeline> {
  const load = loaders[name];
  if (!load)
    throw new ModelError("UNKNOWN_PIPELINE", `no pipeline "${name}" (this node has: ${pipelineNames().join(", ")})`);
  return load();
}

/** The pipeline of a manifest, after it checked the manifest. */
export async function pipelineFor(manifest: Manifest): Promise<Pipeline> {
  const p = await getPipeline(manifest.pipeline);
  p.validate(manifest);
  return p;
}
