// The page the browser tests and the benchmark drive: it exposes the runtime on `window.bricolage`
// so that Playwright can create volunteers and compute hosts inside a real page. With `?autostart=1`
// it starts a volunteer against the coordinator that served it at once, as a volunteer's tab would
// (`prefetch=0`, `throttle=N`, `wgsl=wasm|webgpu`, `onnx=onnx-wasm|onnx-webgpu` adjust it).
import { fromBase64, generateSigningKeyPair, sha256Hex, toBase64 } from '@bricolage/protocol';
import { type BackendOverrides, ComputeHost, createVolunteer, type Volunteer } from '@bricolage/runtime';

const bricolage = { createVolunteer, ComputeHost, generateSigningKeyPair, toBase64, fromBase64, sha256Hex };

declare global {
  interface Window {
    bricolage: typeof bricolage;
    bricolageReady: boolean;
    state: Record<string, unknown>;
  }
}

window.bricolage = bricolage;
window.state = {};

const params = new URLSearchParams(location.search);
if (params.get('autostart') === '1') {
  const overrides: { -readonly [K in keyof BackendOverrides]: BackendOverrides[K] } = {};
  const wgsl = params.get('wgsl');
  const onnx = params.get('onnx');
  if (wgsl === 'wasm' || wgsl === 'webgpu') overrides.wgsl = wgsl;
  if (onnx === 'onnx-wasm' || onnx === 'onnx-webgpu') overrides.onnx = onnx;
  const volunteer: Volunteer = await createVolunteer({
    coordinator: location.origin,
    prefetch: params.get('prefetch') !== '0',
    throttle: Number(params.get('throttle') ?? 100),
    maxIdleWaitMs: 300,
    backends: overrides,
  });
  window.state.volunteer = volunteer;
  // Each work unit's backend and its span in the worker, for the benchmark's steady-state figures.
  const spans: { backend: string; startedAt: number; endedAt: number }[] = [];
  window.state.spans = spans;
  volunteer.on('computed', (e) => spans.push({ backend: e.backend, startedAt: e.startedAt, endedAt: e.endedAt }));
  await volunteer.start();
}

window.bricolageReady = true;
document.getElementById('status')!.textContent = 'ready';
