// Runs before any module of the page (a classic script, ahead of the module scripts): zod then never compiles
// parsers with `new Function`, nor probes whether it may, which the page's Content-Security-Policy would report
// as violations. zod reads its configuration from this global when it loads (see protocol/src/jitless.ts, which
// sets the same, but a bundler may evaluate a schema-building chunk before it).
globalThis.__zod_globalConfig ??= {};
globalThis.__zod_globalConfig.jitless = true;
