// Revoking a volunteer key: the operator bans it over HTTP (or with `npm run coordinator -- volunteer ban`),
// and from the next request on it gets 403, no new token, and its open leases are back in the queue.
import { API, type BanList, type BanResponse } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { seededRandom } from './clock';
import { describeBackends } from './testing/backends';
import { square } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { operatorCommand } from './testing/operator-command';
import { GPU_CAPABILITIES, SimVolunteer } from './testing/sim-volunteer';

describeBackends('banned volunteer keys', (backend) => {
  const grid = useGrid(backend, {
    name: 'bans',
    start: () => ({ random: seededRandom(1), project: 'bans' }),
  });

  const operator = (method: string, path: string, body?: unknown, token = grid.coordinator.operator.token) =>
    fetch(grid.coordinator.url + path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('refuses a banned key on every request and gives its leases to others at once', async () => {
    const job = await grid.researcher.createSquareJob({
      redundancy: { minQuorum: 1, maxTotalResults: 4, maxErrorResults: 3, homogeneous: false },
    });
    await grid.researcher.addSquares(job, 1, 4);
    const cheat = await SimVolunteer.create(grid.coordinator.url);
    const held = await cheat.lease(10);
    expect(held.leases).toHaveLength(4);
    const honest = await SimVolunteer.create(grid.coordinator.url);
    expect((await honest.lease(10)).leases).toHaveLength(0);

    const res = await operator('POST', API.ban(cheat.key), { reason: 'returned made-up results' });
    expect(res.status).toBe(200);
    expect((await res.json()) as BanResponse).toMatchObject({
      ban: { volunteer: cheat.key, reason: 'returned made-up results' },
      released: 4,
    });

    // Its token still verifies, but the key is refused, with the operator's reason.
    const refused = await cheat.post<{ error: { code: string; message: string } }>(API.lease, {
      capabilities: GPU_CAPABILITIES,
      max: 1,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect(refused.body.error.message).toMatch(/banned .*returned made-up results/);
    expect((await cheat.computeAndSubmit(held.leases, square)).status).toBe(403);
    expect((await cheat.get<{ error: { code: string } }>(API.me)).status).toBe(403);
    // Nor can it sign in again for a fresh token.
    await expect(cheat.authenticate()).rejects.toThrow(/banned/);

    // The units it held are leased to someone else now, not when its leases would have run out.
    const freed = await honest.lease(10);
    expect(freed.leases).toHaveLength(4);
    expect((await honest.computeAndSubmit(freed.leases, square)).status).toBe(200);
    expect((await grid.researcher.progress(job)).counts.validated).toBe(4);
  });

  it('is kept across restarts, listed, and lifted by the operator alone', async () => {
    const v = await SimVolunteer.create(grid.coordinator.url);
    for (const token of [null, 'bro_wrong', grid.researcher.token]) {
      const res = await operator('POST', API.ban(v.key), { reason: 'x' }, token as string);
      expect(res.status).toBe(401);
    }
    expect((await operator('POST', API.ban('not-a-key'), { reason: 'x' })).status).toBe(400);
    expect((await operator('POST', API.ban(v.key), { reason: '' })).status).toBe(400);
    expect((await operator('POST', API.ban(v.key), { reason: 'spam' })).status).toBe(200);

    await grid.restart({ random: seededRandom(1) });
    const list = (await (await operator('GET', API.bans)).json()) as BanList;
    expect(list.bans.map((b) => [b.volunteer, b.reason])).toEqual([[v.key, 'spam']]);
    // Other keys still sign in; the banned one does not, even at the new coordinator.
    expect(await SimVolunteer.create(grid.coordinator.url)).toBeInstanceOf(SimVolunteer);
    const banned = v.at(grid.coordinator.url);
    await expect(banned.authenticate()).rejects.toThrow(/banned/);

    expect(await (await operator('POST', API.unban(v.key))).json()).toEqual({ volunteer: v.key, wasBanned: true });
    expect(await (await operator('POST', API.unban(v.key))).json()).toEqual({ volunteer: v.key, wasBanned: false });
    await banned.authenticate();
    expect((await banned.stats()).volunteer).toBe(v.key);
  });

  // A key is base64url: one in 64 begins with '-', which an option parser reads as an option.
  it.each(['-', '--'])(
    'bans and lifts bans from the command line, against the running coordinator (a key beginning %s)',
    async (prefix) => {
      const v = await SimVolunteer.create(grid.coordinator.url, null, prefix);
      const url = ['--url', grid.coordinator.url];
      const noReason = await operatorCommand(grid.dir, ['volunteer', 'ban', v.key, ...url]);
      expect(noReason.code).toBe(2);
      expect(noReason.stderr).toMatch(/--reason/);
      const banned = await operatorCommand(grid.dir, ['volunteer', 'ban', v.key, '--reason', 'lease hoarding', ...url]);
      expect(banned.stderr).toBe('');
      expect(banned.code).toBe(0);
      expect(banned.stdout).toMatch(new RegExp(`volunteer ${v.key} banned \\(lease hoarding\\); 0 open lease`));
      const listed = await operatorCommand(grid.dir, ['volunteer', 'bans', ...url]);
      expect(listed.stdout).toMatch(new RegExp(`^${v.key} .* lease hoarding$`, 'm'));
      expect((await v.get(API.me)).status).toBe(403);
      const lifted = await operatorCommand(grid.dir, ['volunteer', 'unban', v.key, ...url]);
      expect(lifted.stdout.trim()).toBe(`volunteer ${v.key} unbanned`);
      expect((await v.get(API.me)).status).toBe(200);
    },
  );

  it('refuses what the operator writes with a NUL or half a surrogate pair: a 400 on every store, nothing kept', async () => {
    const v = await SimVolunteer.create(grid.coordinator.url);
    const projectsBefore = await (await fetch(grid.coordinator.url + API.projects)).text();
    for (const body of [
      { name: 'a\u0000b' },
      { name: 'ok', description: 'd\u0000' },
      { name: 'ok', owner: 'o\ud800' },
    ]) {
      const res = await operator('POST', API.projects, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    }
    expect(await (await fetch(grid.coordinator.url + API.projects)).text()).toBe(projectsBefore);
    const ban = await operator('POST', API.ban(v.key), { reason: 'r\u0000' });
    expect(ban.status).toBe(400);
    expect((await v.get(API.me)).status).toBe(200);
  });
});
