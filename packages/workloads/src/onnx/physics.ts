// `physics`: 2D heat diffusion ∂u/∂t = α∇²u by the explicit FTCS scheme, K steps unrolled in one graph.
// Each step is u ← u + r·∇²ₕu, with ∇²ₕ the 5-point Laplacian stencil (a fixed 3×3 Conv) and
// r = αΔt/h² the per-sample diffusion number. Conv's zero padding makes the ghost cells 0: a Dirichlet
// boundary held at u = 0, so heat leaks out through the edges and the mean temperature decays.
//
// Inputs:  u0 [N,1,H,W]  initial temperature field
//          r  [N,1,1,1]  diffusion number per sample; FTCS is stable (and monotone) only for r ≤ 1/4
// Outputs: u    [N,1,H,W] temperature after K steps
//          mean [N,1,1,1] mean temperature over the grid after K steps
import { encodeModel } from './codec';
import { type Graph, type Node, ints } from './graph';

export const PHYSICS_BATCH = 8;
export const PHYSICS_SIZE = 64;
export const PHYSICS_STEPS = 32;
/** The stability bound of FTCS in 2D; inputs beyond it blow up and say nothing about the physics. */
export const MAX_DIFFUSION_NUMBER = 0.25;

// biome-ignore format: the stencil reads best as a 3×3 grid.
const LAPLACIAN = new Float32Array([
  0, 1, 0,
  1, -4, 1,
  0, 1, 0,
]);

/** `steps` is there for tests (one step fewer must be told apart); the shipped model uses the default. */
export function physicsGraph(steps = PHYSICS_STEPS): Graph {
  const n = PHYSICS_BATCH;
  const s = PHYSICS_SIZE;
  const nodes: Node[] = [];
  let u = 'u0';
  for (let k = 1; k <= steps; k++) {
    const next = k === steps ? 'u' : `u${k}`;
    nodes.push(
      {
        op: 'Conv',
        inputs: [u, 'laplacian'],
        outputs: [`lap${k}`],
        attributes: { kernel_shape: ints(3, 3), pads: ints(1, 1, 1, 1), strides: ints(1, 1) },
      },
      { op: 'Mul', inputs: [`lap${k}`, 'r'], outputs: [`du${k}`] },
      { op: 'Add', inputs: [u, `du${k}`], outputs: [next] },
    );
    u = next;
  }
  nodes.push({ op: 'GlobalAveragePool', inputs: ['u'], outputs: ['mean'] });
  return {
    // Every op works on each field apart (the stencil within a field, r per field): any number per run.
    stacked: 'samples',
    name: 'bricolage_heat2d',
    inputs: [
      { name: 'u0', dtype: 'float32', shape: [n, 1, s, s] },
      { name: 'r', dtype: 'float32', shape: [n, 1, 1, 1] },
    ],
    outputs: [
      { name: 'u', dtype: 'float32', shape: [n, 1, s, s] },
      { name: 'mean', dtype: 'float32', shape: [n, 1, 1, 1] },
    ],
    initializers: [{ name: 'laplacian', dims: [1, 1, 3, 3], data: LAPLACIAN }],
    nodes,
  };
}

export const buildPhysicsModel = (): Uint8Array => encodeModel(physicsGraph());

/**
 * One batch of initial conditions: a few Gaussian hot spots on a cold plate, and a diffusion number
 * drawn from [0.05, 0.25] so every sample stays inside the FTCS stability region.
 */
export function physicsInputs(next: () => number): Float32Array[] {
  const s = PHYSICS_SIZE;
  const u0 = new Float32Array(PHYSICS_BATCH * s * s);
  const r = new Float32Array(PHYSICS_BATCH);
  for (let b = 0; b < PHYSICS_BATCH; b++) {
    r[b] = 0.05 + next() * (MAX_DIFFUSION_NUMBER - 0.05);
    const spots = Array.from({ length: 1 + Math.floor(next() * 4) }, () => ({
      x: 8 + next() * (s - 16),
      y: 8 + next() * (s - 16),
      sigma: 2 + next() * 4,
      temperature: 0.5 + next() * 0.5,
    }));
    for (let y = 0; y < s; y++)
      for (let x = 0; x < s; x++) {
        let v = 0;
        for (const spot of spots) {
          v += spot.temperature * Math.exp(-((x - spot.x) ** 2 + (y - spot.y) ** 2) / (2 * spot.sigma ** 2));
        }
        u0[(b * s + y) * s + x] = v;
      }
  }
  return [u0, r];
}
