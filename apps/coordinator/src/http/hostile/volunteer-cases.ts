// Hostile requests: the public log, challenges and tokens, volunteer tokens, lease bodies, giving leases back,
// heartbeats.
import { API, authMessageBody, sign, toBase64Url, utf8 } from '@bricolage/protocol';
import { GPU_CAPABILITIES } from '../../testing/sim-volunteer';
import { type Case, json, get, CAPS, signAuth, A, randomSignature, tokenFor } from './harness';

export const VOLUNTEER_CASES: readonly Case[] = [
  // Challenges and tokens.
  {
    name: 'challenge: malformed JSON',
    req: () => ({ method: 'POST', path: API.challenge, type: 'application/json', body: '{volunteer}' }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'challenge: text/plain',
    req: (w) => ({ ...json('POST', API.challenge, { volunteer: w.stranger.publicKeyText }), type: 'text/plain' }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'challenge: volunteer missing',
    req: () => json('POST', API.challenge, {}),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'challenge: volunteer a number',
    req: () => json('POST', API.challenge, { volunteer: 7 }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'challenge: volunteer not a key',
    req: () => json('POST', API.challenge, { volunteer: 'alice@example.org' }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'challenge: a 10,000-character volunteer',
    req: () => json('POST', API.challenge, { volunteer: 'A'.repeat(10_000) }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'token: a signature that does not verify',
    req: (w) => tokenFor(w.pending.challenge, w.pending.key.publicKeyText, randomSignature),
    status: 401,
    code: 'bad_signature',
  },
  {
    name: 'token: the challenge signed by a different key',
    req: async (w) =>
      tokenFor(
        w.pending.challenge,
        w.pending.key.publicKeyText,
        await signAuth(w.stranger, w.pending.challenge, w.pending.key.publicKeyText),
      ),
    status: 401,
    code: 'bad_signature',
  },
  {
    name: 'token: signed without the auth domain prefix',
    req: async (w) =>
      tokenFor(
        w.pending.challenge,
        w.pending.key.publicKeyText,
        await sign(w.pending.key.privateKey, utf8(authMessageBody(w.pending.challenge, w.pending.key.publicKeyText))),
      ),
    status: 401,
    code: 'bad_signature',
  },
  {
    name: "token: another volunteer's challenge, validly signed by the claimant (must not burn it)",
    req: async (w) =>
      tokenFor(w.pending.challenge, w.stranger.publicKeyText, await signAuth(w.stranger, w.pending.challenge)),
    status: 401,
    code: 'replayed',
  },
  {
    name: 'token: a replayed challenge and signature',
    req: (w) => tokenFor(w.used.challenge, w.used.volunteer, w.used.signature),
    status: 401,
    code: 'replayed',
  },
  {
    name: 'token: a challenge never issued',
    req: async (w) => {
      const made = toBase64Url(new Uint8Array(32).fill(9));
      return tokenFor(made, w.stranger.publicKeyText, await signAuth(w.stranger, made));
    },
    status: 401,
    code: 'replayed',
  },
  {
    name: 'token: a short signature',
    req: (w) => tokenFor(w.pending.challenge, w.pending.key.publicKeyText, randomSignature.slice(0, 40)),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'token: a short challenge',
    req: (w) => tokenFor('abc', w.pending.key.publicKeyText, randomSignature),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'token: signature missing',
    req: (w) => json('POST', API.token, { volunteer: w.pending.key.publicKeyText, challenge: w.pending.challenge }),
    status: 400,
    code: 'bad_request',
  },

  // Volunteer tokens: absent, forged, tampered, expired, of the wrong kind.
  {
    name: 'lease without a token',
    req: () => json('POST', API.lease, { capabilities: GPU_CAPABILITIES }),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'lease with a garbage token',
    req: () => json('POST', API.lease, { capabilities: GPU_CAPABILITIES }, 'not.a.token'),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'lease with a forged token',
    req: (w) =>
      json('POST', API.lease, { capabilities: GPU_CAPABILITIES }, `${w.alice.key}.zzzzzzzz.${'A'.repeat(43)}`),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'lease with a token whose expiry was moved',
    req: (w) => {
      const [key, expiry, mac] = w.alice.bearer.split('.') as [string, string, string];
      const later = (Number.parseInt(expiry, 36) + 86_400_000).toString(36);
      return json('POST', API.lease, { capabilities: GPU_CAPABILITIES }, `${key}.${later}.${mac}`);
    },
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'lease with an expired token',
    req: (w) => json('POST', API.lease, { capabilities: GPU_CAPABILITIES }, w.expiredToken),
    status: 401,
    code: 'token_expired',
  },
  {
    name: 'lease with a project token',
    req: (w) => json('POST', API.lease, { capabilities: GPU_CAPABILITIES }, w.token),
    status: 401,
    code: 'unauthorized',
  },
  { name: 'stats with an expired token', req: (w) => get(API.me, w.expiredToken), status: 401, code: 'token_expired' },

  // Lease bodies.
  {
    name: 'lease: malformed JSON',
    req: (w) => ({
      method: 'POST',
      path: API.lease,
      token: w.alice.bearer,
      type: 'application/json',
      body: '{"max": }',
    }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'lease: text/plain',
    req: (w) => ({
      ...json('POST', API.lease, { capabilities: GPU_CAPABILITIES }, w.alice.bearer),
      type: 'text/plain',
    }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'lease: capabilities missing',
    req: (w) => json('POST', API.lease, { max: 4 }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'lease: max 0',
    req: (w) => json('POST', API.lease, { capabilities: GPU_CAPABILITIES, max: 0 }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'lease: max 1001',
    req: (w) => json('POST', API.lease, { capabilities: GPU_CAPABILITIES, max: 1001 }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'lease: max a string',
    req: (w) => json('POST', API.lease, { capabilities: GPU_CAPABILITIES, max: '5' }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'lease: GPU limits of the wrong type',
    req: (w) =>
      json(
        'POST',
        API.lease,
        {
          capabilities: {
            ...GPU_CAPABILITIES,
            webgpu: { ...GPU_CAPABILITIES.webgpu, limits: { maxStorageBufferBindingSize: 'lots', maxBufferSize: -1 } },
          },
        },
        w.alice.bearer,
      ),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'lease: a project that is not a project id',
    req: (w) => json('POST', API.lease, { capabilities: GPU_CAPABILITIES, project: 'x\u0000y' }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'lease: a body over the JSON cap',
    req: (w) =>
      json(
        'POST',
        API.lease,
        { capabilities: GPU_CAPABILITIES, project: 'p'.repeat(CAPS.maxJsonBytes) },
        w.alice.bearer,
      ),
    status: 413,
    code: 'payload_too_large',
  },

  // Giving leases back.
  {
    name: 'release: no leases',
    req: (w) => json('POST', API.release, { leases: [] }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'release: a job id where a lease id goes',
    req: (w) => json('POST', API.release, { leases: [A(w, 2).lease, w.job] }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'release: without a token',
    req: (w) => json('POST', API.release, { leases: [A(w, 2).lease] }),
    status: 401,
    code: 'unauthorized',
  },

  // Heartbeats.
  {
    name: 'heartbeat: no leases, no jobs',
    req: (w) => json('POST', API.heartbeat, { leases: [] }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'heartbeat: no leases, an empty list of jobs',
    req: (w) => json('POST', API.heartbeat, { leases: [], jobs: [] }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'heartbeat: leases missing',
    req: (w) => json('POST', API.heartbeat, {}, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'heartbeat: leases a string',
    req: (w) => json('POST', API.heartbeat, { leases: A(w, 2).lease }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'heartbeat: a job id where a lease id goes',
    req: (w) => json('POST', API.heartbeat, { leases: [A(w, 2).lease, w.job] }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'heartbeat: lease number 0',
    req: (w) => json('POST', API.heartbeat, { leases: ['ls_0'] }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'heartbeat: 1001 leases',
    req: (w) => json('POST', API.heartbeat, { leases: Array(1001).fill(A(w, 2).lease) }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
];
