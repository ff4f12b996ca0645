// A page that puts @bricolage/receipts (and the protocol helpers its tests need) on `window`, so that
// Playwright can drive the store against Chromium's real IndexedDB.
import * as protocol from '@bricolage/protocol';
import * as receipts from '@bricolage/receipts';
import * as testing from '@bricolage/receipts/testing';

const harness = { receipts, protocol, testing };

Object.assign(window, { harness, harnessReady: true });
document.getElementById('status')!.textContent = 'ready';
