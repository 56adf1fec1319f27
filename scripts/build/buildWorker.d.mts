// Types of buildWorker.mjs, for the test that guards the webhook's start-up.
export const ROOT: string;
export const ENTRY: string;
export const OUTDIR: string;
export interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }>; imports: { path: string; kind: string; external?: boolean }[] }>;
}
export function buildWorker(options?: { entry?: string; outdir?: string }): Promise<Metafile>;
export function startupInputs(metafile: Metafile, outdir?: string): { outputs: string[]; inputs: string[] };
