#!/usr/bin/env node
// Prints N work units of the squares job as NDJSON: unit i holds the numbers 64i … 64i + 63 (u32,
// little-endian) and is tagged `squares:i`. Usage: node make-units.mjs N
const count = Number(process.argv[2] ?? 100);
if (!Number.isInteger(count) || count < 1) {
  console.error('usage: node make-units.mjs N (a positive whole number of work units)');
  process.exit(2);
}
const lines = [];
for (let i = 0; i < count; i++) {
  const xs = new Uint32Array(64).map((_, j) => i * 64 + j);
  lines.push(JSON.stringify({ input: Buffer.from(xs.buffer).toString('base64'), tag: `squares:${i}` }));
}
process.stdout.write(`${lines.join('\n')}\n`);
