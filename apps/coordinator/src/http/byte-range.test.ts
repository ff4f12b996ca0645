import { describe, expect, it } from 'vitest';
import { selectBytes } from './byte-range';

const ETAG = '"abc"';
const size = 1000;
const pick = (range?: string, more: { ifNoneMatch?: string; ifRange?: string } = {}) =>
  selectBytes(size, ETAG, { range, ...more });

describe('selectBytes', () => {
  it('sends the whole body without a Range', () => {
    expect(pick()).toEqual({ kind: 'whole' });
  });

  it('honours one bytes range in each of its three forms, clamped to the body', () => {
    expect(pick('bytes=0-99')).toEqual({ kind: 'part', start: 0, end: 99 });
    expect(pick('bytes=900-')).toEqual({ kind: 'part', start: 900, end: 999 });
    expect(pick('bytes=-100')).toEqual({ kind: 'part', start: 900, end: 999 });
    expect(pick('bytes=990-5000')).toEqual({ kind: 'part', start: 990, end: 999 });
    expect(pick('bytes=-5000')).toEqual({ kind: 'part', start: 0, end: 999 });
    expect(pick('BYTES = 5 - 5')).toEqual({ kind: 'part', start: 5, end: 5 });
  });

  it('answers 416 when no byte of the range exists', () => {
    expect(pick('bytes=1000-')).toEqual({ kind: 'unsatisfiable' });
    expect(pick('bytes=5000-6000')).toEqual({ kind: 'unsatisfiable' });
    expect(pick('bytes=-0')).toEqual({ kind: 'unsatisfiable' });
    expect(selectBytes(0, ETAG, { range: 'bytes=0-' })).toEqual({ kind: 'unsatisfiable' });
  });

  it('ignores what it does not serve: several ranges, other units, bad syntax, end before start', () => {
    for (const range of ['bytes=0-1,5-6', 'items=0-1', 'bytes=abc', 'bytes=-', 'bytes=9-3', 'bytes 0-1'])
      expect(pick(range)).toEqual({ kind: 'whole' });
  });

  it('answers 304 to an If-None-Match naming this ETag, before looking at any Range', () => {
    expect(pick(undefined, { ifNoneMatch: '"abc"' })).toEqual({ kind: 'not-modified' });
    expect(pick('bytes=0-1', { ifNoneMatch: '"x", W/"abc"' })).toEqual({ kind: 'not-modified' });
    expect(pick(undefined, { ifNoneMatch: '*' })).toEqual({ kind: 'not-modified' });
    expect(pick(undefined, { ifNoneMatch: '"other"' })).toEqual({ kind: 'whole' });
  });

  it('honours the Range only when an If-Range names this exact ETag', () => {
    expect(pick('bytes=0-1', { ifRange: '"abc"' })).toEqual({ kind: 'part', start: 0, end: 1 });
    expect(pick('bytes=0-1', { ifRange: '"old"' })).toEqual({ kind: 'whole' });
    expect(pick('bytes=0-1', { ifRange: 'W/"abc"' })).toEqual({ kind: 'whole' });
    expect(pick('bytes=0-1', { ifRange: 'Wed, 21 Oct 2015 07:28:00 GMT' })).toEqual({ kind: 'whole' });
  });
});
