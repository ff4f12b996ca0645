// Vite handles CSS imports and ?worker / ?url suffixes in the page bundle.
/// <reference types="vite/client" />
