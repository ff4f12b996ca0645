// How the tests and the benchmark launch Debian's Chromium (see ../shared/CHROMIUM.md): headless, quiet on a
// closed network, and with WebGPU enabled (a SwiftShader fallback adapter on machines without a GPU).
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
];
