// Operator-tunable limits. Defaults suit one small machine; every cap is a reason to answer 4xx, not to fall over.
import type { RateLimit } from './http/rate-limit';

export interface CoordinatorConfig {
  /** JSON request bodies. */
  readonly maxJsonBytes: number;
  /** One blob upload (WGSL, wasm, ONNX model). */
  readonly maxBlobBytes: number;
  /** One line of an NDJSON work-unit upload. */
  readonly maxLineBytes: number;
  /** A whole NDJSON work-unit upload. */
  readonly maxUploadBytes: number;
  readonly perAddress: RateLimit;
  readonly perVolunteer: RateLimit;
  readonly maxLeasesPerVolunteer: number;
  readonly inlineInputBytes: number;
  /** Inline inputs in one lease response, in all: a lease sized to a fast device holds hundreds of units. */
  readonly inlineLeaseBytes: number;
  readonly tokenSeconds: number;
  readonly challengeSeconds: number;
  /** How often expired leases are swept back into the queue. */
  readonly sweepMs: number;
}

export const DEFAULT_CONFIG: CoordinatorConfig = {
  maxJsonBytes: 16 * 1024 * 1024,
  maxBlobBytes: 256 * 1024 * 1024,
  maxLineBytes: 32 * 1024 * 1024,
  maxUploadBytes: 8 * 1024 * 1024 * 1024,
  perAddress: { perSecond: 5000, burst: 10000 },
  perVolunteer: { perSecond: 200, burst: 400 },
  maxLeasesPerVolunteer: 256,
  inlineInputBytes: 256 * 1024,
  inlineLeaseBytes: 4 * 1024 * 1024,
  tokenSeconds: 15 * 60,
  challengeSeconds: 120,
  sweepMs: 1000,
};
