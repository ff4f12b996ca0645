// Builds the volunteer page and the widget's frame into apps/web/dist, which the coordinator serves at `/` and
// at /widget/frame (same origin as the API), then the researcher dashboard into the same folder, served at
// `/dashboard`. Everything is bundled: no CDN, no external font, nothing fetched elsewhere. The page and the
// frame share the session's modules and the runtime's lazy chunks.
//
// The dashboard is a build of its own, not a third input of the same build: in one build it shared a chunk
// with the volunteer page (React, the protocol), and the page then loaded 1.5 KB (gzip) more than alone: the
// split costs compression, and the shared chunk carries protocol exports only the dashboard uses. Built apart,
// the volunteer page's JavaScript is what it was before the dashboard existed.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { build, defineConfig, type InlineConfig, type Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

/** The researcher dashboard: dashboard.html into the same dist, beside the volunteer page built first. */
export const dashboardConfig: InlineConfig = {
  configFile: false,
  root: here,
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: join(here, 'dist'),
    emptyOutDir: false,
    target: 'es2022',
    sourcemap: true,
    rolldownOptions: {
      checks: { bundlerTimings: false },
      input: { dashboard: join(here, 'dashboard.html') },
    },
  },
};

/** After the volunteer page is built, the dashboard is built beside it (so every `vite build` makes both). */
function buildDashboard(): Plugin {
  return {
    name: 'bricolage:build-dashboard',
    apply: 'build',
    async closeBundle(error) {
      if (!error) await build(dashboardConfig);
    },
  };
}

/**
 * The volunteer page and the widget's frame alone (page-size.test.ts builds this to measure what the page loads;
 * `vite build` builds it and then the dashboard).
 */
export const pageConfig: InlineConfig = {
  configFile: false,
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
    // `npm run dev -w @bricolage/web` against a coordinator on :8787, with the same isolation headers. The
    // dev server serves the dashboard too, at /dashboard.html.
    proxy: {
      '/v1': 'http://127.0.0.1:8787',
      '/.well-known': 'http://127.0.0.1:8787',
      '/healthz': 'http://127.0.0.1:8787',
      '/api': 'http://127.0.0.1:8787',
    },
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
  },
};

const { configFile: _, ...page } = pageConfig;
export default defineConfig({ ...page, plugins: [...(page.plugins ?? []), buildDashboard()] });
