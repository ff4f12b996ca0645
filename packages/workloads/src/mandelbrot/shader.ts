// The mandelbrot WGSL. Node reads mandelbrot.wgsl beside this file; a browser bundle imports
// `./mandelbrot.wgsl?raw` (Vite), or fetches the shader blob by its hash like any volunteer.
import { readSource } from '../wasm-abi/node';

/** Node only: the source of mandelbrot.wgsl, read when called. */
export const readMandelbrotWgsl = (): string => readSource(new URL('./mandelbrot.wgsl', import.meta.url));
