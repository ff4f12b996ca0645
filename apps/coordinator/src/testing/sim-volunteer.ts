// A volunteer simulated in Node: a real key pair, real HTTP, results computed by a function.
// Used by the HTTP tests, the crash test and the benchmark.
import {
  API,
  type Capabilities,
  type Lease,
  type LeaseResponse,
  type ProvenReceipt,
  type SubmittedResult,
  type VolunteerStats,
  authMessageBody,
  domainMessage,
  fromBase64,
  generateSigningKeyPair,
  sign,
  toBase64,
} from '@bricolage/protocol';
import { sha256Hex } from '../hash';

export const GPU_CAPABILITIES: Capabilities = {
  webgpu: {
    vendor: 'simulated',
    architecture: 'node',
    description: '',
    isFallbackAdapter: false,
    limits: {
      maxStorageBufferBindingSize: 1 << 30,
      maxBufferSize: 1 << 30,
      maxUniformBufferBindingSize: 65536,
      maxComputeWorkgroupsPerDimension: 65535,
      maxComputeInvocationsPerWorkgroup: 256,
      maxComputeWorkgroupStorageSize: 32768,
      maxStorageBuffersPerShaderStage: 8,
    },
    features: [],
  },
  wasm: true,
  onnx: { providers: ['wasm'] },
  hardwareConcurrency: 2,
  backends: { wgsl: 'webgpu', onnx: 'onnx-wasm' },
};

export interface HttpReply<T> {
  readonly status: number;
  readonly body: T;
}

export class SimVolunteer {
  private token = '';
  private constructor(
    readonly url: string,
    readonly key: string,
    private readonly privateKey: CryptoKey,
    /** The client address it claims through X-Forwarded-For (a coordinator that trusts loopback believes it). */
    readonly from: string | null = null,
  ) {}

  static async create(url: string, from: string | null = null, keyPrefix = ''): Promise<SimVolunteer> {
    let pair = await generateSigningKeyPair();
    // A key that begins with given characters ('-', say) is drawn again until one does: 64^n tries.
    while (!pair.publicKeyText.startsWith(keyPrefix)) pair = await generateSigningKeyPair();
    const v = new SimVolunteer(url, pair.publicKeyText, pair.privateKey, from);
    await v.authenticate();
    return v;
  }

  async authenticate(): Promise<void> {
    const { body } = await this.post<{ challenge: string }>(API.challenge, { volunteer: this.key }, false);
    const signature = await sign(this.privateKey, domainMessage('auth', authMessageBody(body.challenge, this.key)));
    const reply = await this.post<{ token: string }>(
      API.token,
      { volunteer: this.key, challenge: body.challenge, signature },
      false,
    );
    if (reply.status !== 200) throw new Error(`authentication failed: ${JSON.stringify(reply.body)}`);
    this.token = reply.body.token;
  }

  async signChallenge(challenge: string): Promise<string> {
    return sign(this.privateKey, domainMessage('auth', authMessageBody(challenge, this.key)));
  }

  get bearer(): string {
    return this.token;
  }

  /** The same volunteer, key and token, talking to another coordinator of the grid. */
  at(url: string): SimVolunteer {
    const other = new SimVolunteer(url, this.key, this.privateKey, this.from);
    other.token = this.token;
    return other;
  }

  async lease(max: number, capabilities: Capabilities = GPU_CAPABILITIES): Promise<LeaseResponse> {
    const reply = await this.post<LeaseResponse>(API.lease, { capabilities, max });
    if (reply.status !== 200) throw new Error(`lease failed: ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  /** Computes every lease with `compute` and submits the batch; returns the HTTP reply. */
  async computeAndSubmit(
    leases: readonly Lease[],
    compute: (input: Uint8Array, lease: Lease) => Uint8Array,
  ): Promise<HttpReply<unknown>> {
    const results = leases.map((l) => okResult(l, compute(fromBase64(l.input ?? ''), l)));
    return this.submit(results);
  }

  submit(results: readonly SubmittedResult[]): Promise<HttpReply<unknown>> {
    return this.post(API.submit, { results });
  }

  async stats(): Promise<VolunteerStats> {
    return (await this.get<VolunteerStats>(API.me)).body;
  }

  async receipts(after = -1): Promise<{ receipts: ProvenReceipt[]; next: number | null }> {
    return (
      await this.get<{ receipts: ProvenReceipt[]; next: number | null }>(`${API.receipts}?after=${after}&limit=1000`)
    ).body;
  }

  async post<T>(path: string, body: unknown, auth = true): Promise<HttpReply<T>> {
    const res = await fetch(this.url + path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(auth ? { authorization: `Bearer ${this.token}` } : {}),
        ...this.forwarded(),
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async get<T>(path: string): Promise<HttpReply<T>> {
    const res = await fetch(this.url + path, {
      headers: { authorization: `Bearer ${this.token}`, ...this.forwarded() },
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  private forwarded(): Record<string, string> {
    return this.from === null ? {} : { 'x-forwarded-for': this.from };
  }
}

export function okResult(lease: Lease, output: Uint8Array): SubmittedResult {
  return {
    kind: 'ok',
    lease: lease.lease,
    output: toBase64(output),
    outputHash: sha256Hex(output) as never,
    backend: 'webgpu',
    elapsedMs: 1,
  };
}

/** A volunteer's error result for the lease (its device failed the unit). */
export function errorResult(lease: Lease): SubmittedResult {
  return { kind: 'error', lease: lease.lease, code: 'runtime_error', message: 'boom' };
}
