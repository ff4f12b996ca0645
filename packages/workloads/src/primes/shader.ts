// The primes WGSL. Node reads primes.wgsl beside this file; a browser bundle imports
// `./primes.wgsl?raw` (Vite), or fetches the shader blob by its hash like any volunteer.
import { readSource } from '../wasm-abi/node';

/** Node only: the source of primes.wgsl, read when called. */
export const readPrimesWgsl = (): string => readSource(new URL('./primes.wgsl', import.meta.url));
