// The subpath `@bricolage/protocol/jitless`, for a page whose Content-Security-Policy forbids eval (the
// volunteer page), to load before anything else: zod then never compiles parsers with `new Function`, and
// never probes whether it may. The probe's failure is caught, but the browser still reports it as a policy
// violation, once per schema module loaded. It must run before any schema is built, hence a module of its
// own, loaded first. The coordinator and the compute worker keep the compiled parsers: no such policy there.
import { z } from 'zod';

z.config({ jitless: true });
