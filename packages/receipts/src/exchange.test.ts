import { type CreditBody, generateSigningKeyPair } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { auditReceipts } from './audit';
import { exportReceipts, parseReceiptsFile, readReceiptsFile, signReceiptsFile, verifyReceiptsFile } from './exchange';
import { receiptRecord, type StoredReceipt } from './schema';
import { createTestLog } from './testing';

const stored = (proven: Awaited<ReturnType<Awaited<ReturnType<typeof createTestLog>>['append']>>): StoredReceipt =>
  receiptRecord(proven, 0, {
    at: 0,
    ok: true,
    message: 'verified',
    against: 'stored',
    treeSize: proven.treeHead.head.size,
  });

describe('receipts file', () => {
  it('exports only this volunteer’s receipts of this log, each verifiable offline', async () => {
    const log = await createTestLog();
    const me = (await generateSigningKeyPair()).publicKeyText;
    const someone = (await generateSigningKeyPair()).publicKeyText;
    const records = [
      stored(await log.append(me, { credit: 2 })),
      stored(await log.append(someone)),
      stored(await log.append(me, { credit: 0.5 })),
    ];
    const file = exportReceipts(records, log.key.publicKeyText, me);
    expect(file.receipts).toHaveLength(2);
    expect(file.totalCredit).toBe(2.5);
    const checked = await verifyReceiptsFile(JSON.stringify(file), log.key.publicKeyText);
    expect(checked).toEqual({
      ok: true,
      value: {
        verified: 2,
        credit: 2.5,
        wallet: { earned: 2.5, unspendable: 0, spent: 0, balance: 2.5 },
        failures: [],
      },
    });
  });

  it('counts each log entry once, however often the file repeats it', async () => {
    const log = await createTestLog();
    const me = (await generateSigningKeyPair()).publicKeyText;
    const records = [stored(await log.append(me, { credit: 2 })), stored(await log.append(me, { credit: 1 }))];
    const file = exportReceipts(records, log.key.publicKeyText, me);
    // The same entries again, one of them proven against a later tree head: other bytes, the same place in the log.
    await log.append(me);
    const copies = { ...file, receipts: [...file.receipts, ...file.receipts, await log.proven(0, 3)] };
    const checked = await verifyReceiptsFile(JSON.stringify(copies), log.key.publicKeyText);
    expect(checked).toMatchObject({ ok: true, value: { verified: 2, credit: 3, wallet: { balance: 3 } } });
    if (checked.ok)
      expect(checked.value.failures).toEqual([
        { position: 2, message: 'log entry 0 is here already (position 0)' },
        { position: 3, message: 'log entry 1 is here already (position 1)' },
        { position: 4, message: 'log entry 0 is here already (position 0)' },
      ]);
  });

  it('counts only the receipts of the key the file is for', async () => {
    const log = await createTestLog();
    const me = (await generateSigningKeyPair()).publicKeyText;
    const someone = (await generateSigningKeyPair()).publicKeyText;
    const records = [stored(await log.append(me, { credit: 2 })), stored(await log.append(someone, { credit: 5 }))];
    const file = exportReceipts(records, log.key.publicKeyText, me);
    const withOthers = { ...file, receipts: records.map((r) => r.proven) };
    const checked = await verifyReceiptsFile(JSON.stringify(withOthers), log.key.publicKeyText);
    expect(checked).toMatchObject({ ok: true, value: { verified: 1, credit: 2 } });
    if (checked.ok)
      expect(checked.value.failures).toEqual([{ position: 1, message: `log entry 1 is another key's (${someone})` }]);
    // Relabelled as the other key's file, the same entries prove only the other key's credit.
    const relabelled = await verifyReceiptsFile(
      JSON.stringify({ ...withOthers, volunteer: someone }),
      log.key.publicKeyText,
    );
    expect(relabelled).toMatchObject({ ok: true, value: { verified: 1, credit: 5 } });
    const { volunteer: _, ...unnamed } = file;
    expect(await verifyReceiptsFile(JSON.stringify(unnamed), log.key.publicKeyText)).toMatchObject({
      ok: false,
      error: { code: 'bad_request', message: 'the file does not name the volunteer it is for' },
    });
  });

  it('names what is wrong with a file that is not an export', () => {
    expect(parseReceiptsFile('nope')).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/not JSON/) },
    });
    expect(parseReceiptsFile('{"format":"x"}')).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/not a receipts export/) },
    });
    expect(parseReceiptsFile('{"format":"bricolage-receipts","v":1}')).toMatchObject({ ok: false });
  });
});

describe('holder signature', () => {
  async function signedExport() {
    const log = await createTestLog();
    const widget = await generateSigningKeyPair();
    const records = [
      stored(await log.append(widget.publicKeyText, { credit: 3 })),
      stored(await log.append(widget.publicKeyText)),
    ];
    const file = await signReceiptsFile(
      exportReceipts(records, log.key.publicKeyText, widget.publicKeyText),
      widget.privateKey,
    );
    return { log, widget, file };
  }

  it('proves that the exporter holds the key the receipts credit', async () => {
    const { widget, file } = await signedExport();
    const read = await readReceiptsFile(JSON.stringify(file, null, 1));
    expect(read).toMatchObject({ ok: true, value: { heldBy: widget.publicKeyText } });
    if (read.ok) expect(read.value.receipts).toHaveLength(2);
  });

  it('proves nothing for an unsigned file, a changed one, or one signed by another key', async () => {
    const { file } = await signedExport();
    const heldBy = async (f: unknown) => {
      const read = await readReceiptsFile(JSON.stringify(f));
      return read.ok ? read.value.heldBy : 'unreadable';
    };
    const { holder: _, ...unsigned } = file;
    expect(await heldBy(unsigned)).toBe(null);
    expect(await heldBy({ ...file, receipts: file.receipts.slice(1) })).toBe(null);
    expect(await heldBy({ ...file, exportedAt: file.exportedAt + 1 })).toBe(null);
    expect(await heldBy({ ...file, holder: { signature: 'x' } })).toBe(null);
    const someone = await generateSigningKeyPair();
    // Someone else's receipts (they are public in the log) signed with one's own key.
    const claimed = await signReceiptsFile(unsigned, someone.privateKey);
    expect(await heldBy(claimed)).toBe(null);
  });
});

describe('auditReceipts', () => {
  it('checks each receipt against the current tree head and the log’s consistency', async () => {
    const log = await createTestLog();
    const me = (await generateSigningKeyPair()).publicKeyText;
    const early = stored(await log.append(me));
    await log.append(me);
    const late = stored(await log.append(me));
    const report = await auditReceipts([early, late], log.key.publicKeyText, log);
    expect(report.against).toBe('current');
    expect(report.treeSize).toBe(3);
    expect(report.failed).toEqual([]);
    expect(report.passed).toBe(2);
  });

  it('falls back to the stored tree heads when the log is unreachable, and reports a tampered receipt', async () => {
    const log = await createTestLog();
    const me = (await generateSigningKeyPair()).publicKeyText;
    const good = stored(await log.append(me));
    const bad = stored(await log.append(me));
    const tampered: StoredReceipt = {
      ...bad,
      proven: {
        ...bad.proven,
        receipt: { ...bad.proven.receipt, body: { ...(bad.proven.receipt.body as CreditBody), credit: 99 } },
      },
    };
    const offline = {
      treeHead: () => Promise.reject(new TypeError('Failed to fetch')),
      inclusion: () => Promise.reject(new TypeError('Failed to fetch')),
      consistency: () => Promise.reject(new TypeError('Failed to fetch')),
    };
    const report = await auditReceipts([good, tampered], log.key.publicKeyText, offline);
    expect(report.against).toBe('stored');
    expect(report.note).toMatch(/unreachable/);
    expect(report.failed).toEqual([
      { id: bad.id, workUnit: bad.workUnit, message: 'receipt signature does not verify' },
    ]);
  });

  it('catches a log that rewrote history after a receipt’s tree head', async () => {
    const log = await createTestLog();
    const me = (await generateSigningKeyPair()).publicKeyText;
    const mine = stored(await log.append(me));
    await log.append(me);
    // Same key, different history: a log that presents a fork to this volunteer.
    const liar = {
      treeHead: () => log.treeHead(),
      inclusion: (i: number, s: number) => log.inclusion(i, s),
      consistency: async (from: number, to: number) => ({
        ...(await log.consistency(from, to)),
        path: ['00'.repeat(32)],
      }),
    };
    const report = await auditReceipts([mine], log.key.publicKeyText, liar);
    expect(report.failed[0]?.message).toMatch(/rewrote its history/);
  });
});
