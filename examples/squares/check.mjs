#!/usr/bin/env node
// Checks a downloaded results file of the squares job against the CPU reference: every unit validated,
// each output ys[i] = xs[i]² + offset (u32), and, with N, exactly units 0 … N-1 present once each.
// Usage: node check.mjs results.ndjson [N]
import { readFileSync } from 'node:fs';

const [file, expected] = process.argv.slice(2);
if (!file) {
  console.error('usage: node check.mjs results.ndjson [N]');
  process.exit(2);
}
const offset = readFileSync(new URL('offset.bin', import.meta.url)).readUInt32LE(0);
const seen = new Set();
const problems = [];
for (const text of readFileSync(file, 'utf8').split('\n')) {
  if (text === '') continue;
  const line = JSON.parse(text);
  const i = Number(line.tag?.replace(/^squares:/, ''));
  if (seen.has(i)) problems.push(`${line.tag}: twice`);
  seen.add(i);
  if (line.state !== 'validated') {
    problems.push(`${line.tag}: ${line.state} (${line.reason})`);
    continue;
  }
  const ys = Buffer.from(line.output, 'base64');
  for (let j = 0; j < 64; j++) {
    const x = i * 64 + j;
    const want = (Math.imul(x, x) + offset) >>> 0;
    if (ys.readUInt32LE(j * 4) !== want) {
      problems.push(`${line.tag}: ys[${j}] is ${ys.readUInt32LE(j * 4)}, the CPU reference says ${want}`);
      break;
    }
  }
}
if (expected !== undefined)
  for (let i = 0; i < Number(expected); i++) if (!seen.has(i)) problems.push(`squares:${i}: missing`);
if (problems.length > 0) {
  console.error(`${problems.length} problems:\n${problems.slice(0, 20).join('\n')}`);
  process.exit(1);
}
console.log(`${seen.size} results, all equal to the CPU reference`);
