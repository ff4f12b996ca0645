// A picked file past the cap is refused by its size, before any of it is read; one within it is read whole.
import { describe, expect, it } from 'vitest';
import { PICKED_FILE_MAX_BYTES, readPicked } from './picked-file';

/** A file of `size` bytes whose content may not be read. */
const unreadable = (size: number): Blob =>
  ({
    size,
    text: () => {
      throw new Error('the file was read');
    },
  }) as unknown as Blob;

describe('readPicked', () => {
  it('refuses a file past the cap by its size alone, saying how large it is and what is allowed', async () => {
    expect(await readPicked(unreadable(3 * 2 ** 30))).toEqual({
      ok: false,
      message: 'The file is 3072 MiB; a key backup or receipts file is at most 128 MiB.',
    });
    expect((await readPicked(unreadable(PICKED_FILE_MAX_BYTES + 1))).ok).toBe(false);
  });

  it('says so when the browser will not read a file within the cap (moved or changed since it was picked)', async () => {
    const gone = { size: 10, text: () => Promise.reject(new Error('The requested file could not be read')) };
    expect(await readPicked(gone as unknown as Blob)).toEqual({
      ok: false,
      message: 'The file could not be read: The requested file could not be read',
    });
  });

  it('reads a file within the cap whole', async () => {
    expect(await readPicked(new Blob(['{"receipts":[]}\n']))).toEqual({ ok: true, text: '{"receipts":[]}\n' });
    expect(await readPicked(new Blob(['abcd']), 4)).toEqual({ ok: true, text: 'abcd' });
  });
});
