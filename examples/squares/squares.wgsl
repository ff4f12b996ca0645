// Squares 64 numbers and adds the job's offset: ys[i] = xs[i] * xs[i] + offset[0], in u32 (mod 2^32).
// xs is the work unit's input (256 bytes), ys its output; offset is a constant binding: one file for the
// whole job (offset.bin), fetched once by each volunteer instead of being copied into every work unit.

@group(0) @binding(0) var<storage, read> xs: array<u32, 64>;
@group(0) @binding(1) var<storage, read> offset: array<u32, 4>;
@group(0) @binding(2) var<storage, read_write> ys: array<u32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) i: u32) {
  ys[i] = xs[i] * xs[i] + offset[0];
}
