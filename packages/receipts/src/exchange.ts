// The receipts file a volunteer exports and imports: one JSON document whose every entry is a proven
// receipt that `verifyReceipt(entry, file.log)` from @bricolage/protocol checks offline.
import { fail, ok, type ProvenReceipt, type Result, verifyReceipt } from '@bricolage/protocol';
import type { StoredReceipt } from './schema';

export const RECEIPTS_FORMAT = 'bricolage-receipts';

export interface ReceiptsFile {
  readonly format: typeof RECEIPTS_FORMAT;
  readonly v: 1;
  /** The coordinator's public key: verify every receipt against it. */
  readonly log: string;
  readonly volunteer: string;
  readonly exportedAt: number;
  readonly totalCredit: number;
  readonly receipts: readonly ProvenReceipt[];
}

export function exportReceipts(
  records: readonly StoredReceipt[],
  log: string,
  volunteer: string,
  now = Date.now(),
): ReceiptsFile {
  const mine = records.filter((r) => r.log === log && r.volunteer === volunteer).sort((a, b) => a.index - b.index);
  return {
    format: RECEIPTS_FORMAT,
    v: 1,
    log,
    volunteer,
    exportedAt: now,
    totalCredit: mine.reduce((sum, r) => sum + r.credit, 0),
    receipts: mine.map((r) => r.proven),
  };
}

/** Reads a receipts file far enough to hand its entries to verification; says clearly what is wrong. */
export function parseReceiptsFile(text: string): Result<{ log: string | null; receipts: readonly unknown[] }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail('bad_request', `the file is not JSON: ${(error as Error).message}`);
  }
  const file = parsed as Partial<ReceiptsFile> | null;
  if (!file || typeof file !== 'object') return fail('bad_request', 'the file is not a receipts export');
  if (file.format !== RECEIPTS_FORMAT)
    return fail('bad_request', `the file is not a receipts export (format ${JSON.stringify(file.format ?? null)})`);
  if (file.v !== 1) return fail('bad_request', `receipts file version ${String(file.v)} is not supported`);
  if (!Array.isArray(file.receipts)) return fail('bad_request', 'the file has no list of receipts');
  return ok({ log: typeof file.log === 'string' ? file.log : null, receipts: file.receipts });
}

/** Checks every receipt in a file against `publicKey`, as anyone holding the file can. */
export async function verifyReceiptsFile(
  text: string,
  publicKey: string,
): Promise<Result<{ verified: number; credit: number; failures: { position: number; message: string }[] }>> {
  const parsed = parseReceiptsFile(text);
  if (!parsed.ok) return parsed;
  let verified = 0;
  let credit = 0;
  const failures: { position: number; message: string }[] = [];
  for (const [position, entry] of parsed.value.receipts.entries()) {
    const result = await verifyReceipt(entry, publicKey);
    if (result.ok) {
      verified++;
      credit += result.value.credit;
    } else failures.push({ position, message: result.error.message });
  }
  return ok({ verified, credit, failures });
}
