#!/usr/bin/env node
// Runs a command inside a network namespace made for it: loopback, plus one veth pair with a documentation
// address (198.51.100.1, TEST-NET-2) and a default route into it, so that Chromium gathers ICE candidates (it
// gathers none on loopback alone) and no packet can leave the machine. Where namespaces are not available
// (not root and no user namespaces, or no `ip`), it prints why and exits 0 without running anything, so that
// `npm test` still passes on such a machine, having skipped only this.
//   node scripts/in-netns.mjs [--required] -- <command> [args…]
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const required = args[0] === '--required';
const dash = args.indexOf('--');
const command = dash >= 0 ? args.slice(dash + 1) : [];
if (command.length === 0) {
  console.error('usage: node scripts/in-netns.mjs [--required] -- <command> [args…]');
  process.exit(2);
}

const SETUP = [
  'ip link set lo up',
  'ip link add t0 type veth peer name t1',
  'ip addr add 198.51.100.1/24 dev t0',
  'ip link set t0 up',
  'ip link set t1 up',
  'ip route add default dev t0',
].join(' && ');

// As root, a plain network namespace; otherwise a user namespace in which we are root, where the kernel allows it.
const unshare = process.getuid?.() === 0 ? ['unshare', '-n'] : ['unshare', '-r', '-n'];
const probe = spawnSync(unshare[0], [...unshare.slice(1), 'sh', '-c', SETUP], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  const why = (probe.error?.message ?? probe.stderr ?? '').trim() || `exit ${probe.status}`;
  const line = `network namespaces are not available here (${unshare.join(' ')}: ${why})`;
  if (required) {
    console.error(`${line}: cannot run ${command.join(' ')}`);
    process.exit(1);
  }
  console.log(`SKIPPED the WebRTC tests: ${line}. They need root or user namespaces, and iproute2.`);
  process.exit(0);
}

const result = spawnSync(unshare[0], [...unshare.slice(1), 'sh', '-c', `${SETUP} && exec "$@"`, 'sh', ...command], {
  stdio: 'inherit',
  env: { ...process.env, BRICOLAGE_NETNS: '1' },
});
process.exit(result.status ?? 1);
