/** Writes the JavaScript of both builds (esbuild, bundled, with source maps) under `outDir`: esm/ and cjs/. */
export function bundle(outDir: string): Promise<void>;
