import { describe, expect, it } from 'vitest';
import { Session } from './session';

describe('a page opened for one project', () => {
  it('says so when ?project= is no project id (which the coordinator refuses in a lease), and not otherwise', () => {
    const bogus = new Session('http://127.0.0.1:1', 'garbage');
    expect(bogus.view().notices.map((n) => n.title)).toEqual(['Not a project id']);
    expect(bogus.view().notices[0]?.lines[0]).toContain('?project=garbage');
    expect(new Session('http://127.0.0.1:1', 'prj_0123456789abcdef').view().notices).toEqual([]);
    expect(new Session('http://127.0.0.1:1', null).view().notices).toEqual([]);
  });
});
