// Builds the browser-test harness page and its compute worker into ./dist. onnxruntime-web's .wasm
// files are emitted by the bundler next to the onnxruntime chunks, which find them there.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  logLevel: 'warn',
  build: { outDir: join(here, 'dist'), emptyOutDir: true, target: 'es2022', sourcemap: true },
  worker: { format: 'es' },
});
