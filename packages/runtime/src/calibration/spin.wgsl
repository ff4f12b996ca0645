// Calibration kernel: an integer mixing loop per invocation, the same as spin.ts's wasm function.
// The XOR of all outputs equals that function's result, so the adapter's correctness is checked too.

override iterations: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  var x = id.x;
  var acc = 0u;
  for (var k = 0u; k < iterations; k++) {
    x = x * 1664525u + 1013904223u;
    x = x ^ (x >> 13u);
    acc = acc ^ x;
  }
  out[id.x] = acc;
}
