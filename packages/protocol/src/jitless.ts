// The subpath `@bricolage/protocol/jitless`, for a page whose Content-Security-Policy forbids eval (the
// volunteer page, the widget's frame), imported first: zod then never compiles parsers with `new Function`, and
// never probes whether it may (the probe's failure is caught, but the browser reports it as a policy violation).
// zod reads its configuration from `globalThis.__zod_globalConfig` when it loads and decides per object schema
// when the schema is built, so this module imports nothing. A bundler may still evaluate a chunk that builds
// schemas before it: the pages also load apps/web/public/zod-jitless.js, a classic script that sets the same
// before any module runs. The coordinator and the compute worker keep the compiled parsers: no such policy there.
const scope = globalThis as { __zod_globalConfig?: { jitless?: boolean } };
scope.__zod_globalConfig ??= {};
scope.__zod_globalConfig.jitless = true;
