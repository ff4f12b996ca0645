// A file the visitor picked (a key backup, a receipts file), read whole into the page: past a size no such file
// reaches, it is refused before a byte is read, so a wrong pick cannot stall the tab or exhaust its memory.

/**
 * 128 MiB: a key backup or receipts file of about 300,000 receipts. `file.text()` of a far larger file fails
 * inside the browser (strings stop near 512 MiB) or stalls the tab parsing it, with nothing said.
 */
export const PICKED_FILE_MAX_BYTES = 128 * 1024 * 1024;

export type PickedText =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly message: string };

export async function readPicked(file: Blob, maxBytes = PICKED_FILE_MAX_BYTES): Promise<PickedText> {
  if (file.size > maxBytes)
    return {
      ok: false,
      message: `The file is ${Math.ceil(file.size / 2 ** 20)} MiB; a key backup or receipts file is at most ${maxBytes / 2 ** 20} MiB.`,
    };
  try {
    return { ok: true, text: await file.text() };
  } catch (error) {
    // Moved, changed or deleted since it was picked: the browser will not read it (NotReadableError).
    return { ok: false, message: `The file could not be read: ${(error as Error).message}` };
  }
}
