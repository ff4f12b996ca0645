// Builds widget.js: one classic script (an IIFE, so it works with `async` and without `type=module`), with
// nothing inline and no eval, into packages/widget/dist, which the coordinator serves at /widget.js.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  logLevel: 'warn',
  build: {
    outDir: join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2020',
    minify: true,
    // The coordinator hashes exactly these bytes for hosts' `integrity` attribute: no map comment in them.
    sourcemap: false,
    lib: {
      entry: join(here, 'src', 'widget.ts'),
      formats: ['iife'],
      name: 'bricolageWidget',
      fileName: () => 'widget.js',
    },
  },
});
