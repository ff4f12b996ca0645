import { describe, expect, it } from 'vitest';
import { gridDatabase, gridOrigin } from './grid';

describe('gridOrigin', () => {
  it('keeps the origin of an http(s) address, whatever follows it', () => {
    expect(gridOrigin(' https://grid.example.org/some/path?x=1 ')).toBe('https://grid.example.org');
    expect(gridOrigin('http://127.0.0.1:18799/')).toBe('http://127.0.0.1:18799');
  });

  it('refuses what is not an http(s) address', () => {
    for (const text of ['', 'grid.example.org', 'ftp://grid.example.org', 'javascript:alert(1)', 'data:,x'])
      expect(gridOrigin(text), text).toBeNull();
  });

  it('names one database per origin, so that grids never share an outbox', () => {
    expect(gridDatabase('https://a.example')).not.toBe(gridDatabase('https://b.example'));
    expect(gridDatabase('https://a.example')).not.toBe('bricolage');
  });
});
