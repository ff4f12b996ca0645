// The pages the coordinator serves from its web root: the volunteer page at / and the dashboard at /dashboard.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Coordinator, startCoordinator } from '../server';

describe('pages', () => {
  let dir: string;
  let coordinator: Coordinator;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-pages-'));
    const web = join(dir, 'web');
    mkdirSync(web);
    writeFileSync(join(web, 'index.html'), '<title>volunteer</title>');
    writeFileSync(join(web, 'dashboard.html'), '<title>dashboard</title>');
    coordinator = await startCoordinator({ dataDir: join(dir, 'data'), port: 0, webRoot: web });
  });
  afterAll(async () => {
    await coordinator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the volunteer page at / and the dashboard at /dashboard, cross-origin isolated', async () => {
    for (const [path, title] of [
      ['/', 'volunteer'],
      ['/dashboard', 'dashboard'],
      ['/dashboard.html', 'dashboard'],
    ]) {
      const res = await fetch(coordinator.url + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(await res.text()).toContain(`<title>${title}</title>`);
    }
    const missing = await fetch(`${coordinator.url}/dashboard/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
