// The receipts file a volunteer exports and imports: one JSON document whose every entry is a proven
// receipt that `verifyReceipt(entry, file.log)` from @bricolage/protocol checks offline.
import {
  type CanonicalValue,
  canonicalJson,
  domainMessage,
  fail,
  ok,
  type ProvenReceipt,
  type ReceiptBody,
  type Result,
  sign,
  verify,
  verifyReceipt,
  netCredit,
  type Wallet,
  walletOf,
} from '@bricolage/protocol';
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
  /**
   * The volunteer's own signature over the rest of the file (`signReceiptsFile`): proof that whoever exported it
   * holds the key its receipts credit. It lets another identity of the same person (the volunteer page) keep them.
   */
  readonly holder?: { readonly signature: string };
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

/** What the holder signs: the file without its `holder`, as canonical JSON. */
function holderMessage(file: Record<string, unknown>): Uint8Array {
  const { holder: _, ...rest } = file;
  return domainMessage('receiptsHolder', canonicalJson(rest as CanonicalValue));
}

/** Signs `file` with the private key of the volunteer its receipts credit. */
export async function signReceiptsFile(file: ReceiptsFile, privateKey: CryptoKey): Promise<ReceiptsFile> {
  const signature = await sign(privateKey, holderMessage(file as unknown as Record<string, unknown>));
  return { ...file, holder: { signature } };
}

export interface ParsedReceiptsFile {
  readonly log: string | null;
  readonly receipts: readonly unknown[];
  /** The volunteer the file says it is for, when its holder signature proves the exporter held that key. */
  readonly heldBy: string | null;
}

/** Reads a receipts file far enough to hand its entries to verification; says clearly what is wrong. */
export async function readReceiptsFile(text: string): Promise<Result<ParsedReceiptsFile>> {
  const parsed = parseReceiptsFile(text);
  if (!parsed.ok) return parsed;
  const file = JSON.parse(text) as Record<string, unknown>;
  const signature = (file.holder as { signature?: unknown } | undefined)?.signature;
  let heldBy: string | null = null;
  if (typeof file.volunteer === 'string' && typeof signature === 'string') {
    let message: Uint8Array | null = null;
    try {
      message = holderMessage(file);
    } catch (error) {
      void error; // Not canonical JSON (a non-finite number): not signed by anyone.
    }
    if (message && (await verify(file.volunteer, message, signature))) heldBy = file.volunteer;
  }
  return ok({ ...parsed.value, heldBy });
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

/** What a receipts file proves, checked by `verifyReceiptsFile`. */
export interface VerifiedReceiptsFile {
  /** Entries that verified, each log entry counted once, all of the file's volunteer. */
  readonly verified: number;
  /** Their credit less their debits. */
  readonly credit: number;
  /** The volunteer's wallet recomputed from them alone (`walletOf`): the balance the file proves. */
  readonly wallet: Wallet;
  /** Entries not counted, by position in the file: not verified, a log entry seen before, or another key's. */
  readonly failures: { position: number; message: string }[];
}

/**
 * Checks a receipts file as anyone holding it can: every entry against `publicKey`. What it proves is one
 * key's: an entry that credits or debits another key than the file's `volunteer`, or a log entry already counted
 * (the same place in the log), is a failure and counts for nothing, so copies cannot make a balance grow.
 */
export async function verifyReceiptsFile(text: string, publicKey: string): Promise<Result<VerifiedReceiptsFile>> {
  const parsed = parseReceiptsFile(text);
  if (!parsed.ok) return parsed;
  const volunteer = (JSON.parse(text) as { volunteer?: unknown }).volunteer;
  if (typeof volunteer !== 'string') return fail('bad_request', 'the file does not name the volunteer it is for');
  const counted: ReceiptBody[] = [];
  const seen = new Map<number, number>();
  const failures: { position: number; message: string }[] = [];
  for (const [position, entry] of parsed.value.receipts.entries()) {
    const result = await verifyReceipt(entry, publicKey);
    if (!result.ok) {
      failures.push({ position, message: result.error.message });
      continue;
    }
    const body = result.value;
    const first = seen.get(body.index);
    if (first !== undefined)
      failures.push({ position, message: `log entry ${body.index} is here already (position ${first})` });
    else if (body.volunteer !== volunteer)
      failures.push({ position, message: `log entry ${body.index} is another key's (${body.volunteer})` });
    else {
      seen.set(body.index, position);
      counted.push(body);
    }
  }
  const credit = counted.reduce((sum, body) => sum + netCredit(body), 0);
  return ok({ verified: counted.length, credit, wallet: walletOf(counted, volunteer), failures });
}
