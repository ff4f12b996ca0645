// Vite handles CSS imports and ?worker / ?url suffixes in the page bundle.
/// <reference types="vite/client" />

// fake-indexeddb ships auto.d.ts, but its package.json `exports` do not point TypeScript at it.
declare module 'fake-indexeddb/auto';
