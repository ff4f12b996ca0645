// Builds the volunteer page and the widget's frame into apps/web/dist, which the coordinator serves at `/` and
// at /widget/frame (same origin as the API). Everything is bundled: no CDN, no external font, nothing fetched
// elsewhere. The two pages share the session's modules and the runtime's lazy chunks.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // onnxruntime-web's chunks are large and load only inside the compute worker, when a job needs them.
    chunkSizeWarningLimit: 1024,
    // The worker-URL transform is slow on two cores; that is known and not worth a warning each build.
    rolldownOptions: {
      checks: { bundlerTimings: false },
      input: { main: join(here, 'index.html'), frame: join(here, 'widget-frame.html') },
    },
  },
  worker: { format: 'es' },
  server: {
    // `npm run dev -w @bricolage/web` against a coordinator on :8787, with the same isolation headers.
    proxy: {
      '/v1': 'http://127.0.0.1:8787',
      '/.well-known': 'http://127.0.0.1:8787',
      '/healthz': 'http://127.0.0.1:8787',
    },
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
  },
});
