import { describe, expect, it } from 'vitest';
import type { ReceiptBody } from './receipt';
import { netCredit, walletOf } from './wallet';

const ME = 'me'.padEnd(43, 'A') as ReceiptBody['volunteer'];
const OTHER = 'other'.padEnd(43, 'B') as ReceiptBody['volunteer'];
const common = { v: 1 as const, log: 'L', at: 0, project: 'prj_0000000000000000', job: 'job_0000000000000000' };
const credit = (index: number, volunteer: string, amount: number, funder?: string): ReceiptBody =>
  ({
    ...common,
    type: 'credit',
    index,
    volunteer,
    workUnit: `wu_${index}`,
    outputHash: '0'.repeat(64),
    credit: amount,
    ...(funder ? { funder } : {}),
  }) as ReceiptBody;
const debit = (index: number, volunteer: string, amount: number): ReceiptBody =>
  ({ ...common, type: 'debit', index, volunteer, workUnit: `wu_${index}`, replicas: 2, debit: amount }) as ReceiptBody;
const imported = (index: number, volunteer: string, amount: number): ReceiptBody =>
  ({
    ...common,
    type: 'import',
    index,
    volunteer,
    from: 'A',
    fromIndex: 7,
    workUnit: `wu_${index}`,
    credit: amount,
  }) as ReceiptBody;

const exported = (index: number, volunteer: string, amount: number): ReceiptBody =>
  ({ v: 1, log: 'L', at: 0, type: 'export', index, volunteer, to: 'B'.repeat(43), debit: amount }) as ReceiptBody;

describe('a wallet recomputed from log entries', () => {
  it('earns credits and imports, keeps credit from its own jobs out of the balance, and takes debits away', () => {
    const entries = [
      credit(0, ME, 10),
      credit(1, ME, 5, OTHER),
      credit(2, ME, 4, ME),
      imported(3, ME, 6),
      debit(4, ME, 12),
      credit(5, OTHER, 100),
      debit(6, OTHER, 50),
    ];
    expect(walletOf(entries, ME)).toEqual({ earned: 25, unspendable: 4, spent: 12, balance: 9 });
    expect(walletOf(entries, OTHER)).toEqual({ earned: 100, unspendable: 0, spent: 50, balance: 50 });
    expect(walletOf([], ME)).toEqual({ earned: 0, unspendable: 0, spent: 0, balance: 0 });
  });

  it('counts credit moved to another grid as spent here', () => {
    const entries = [credit(0, ME, 10), exported(1, ME, 4), exported(2, OTHER, 1)];
    expect(walletOf(entries, ME)).toEqual({ earned: 10, unspendable: 0, spent: 4, balance: 6 });
  });

  it('counts a debit, or an export, against the credit of its key', () => {
    expect(netCredit(credit(0, ME, 3))).toBe(3);
    expect(netCredit(imported(0, ME, 2))).toBe(2);
    expect(netCredit(debit(0, ME, 7))).toBe(-7);
    expect(netCredit(exported(0, ME, 5))).toBe(-5);
  });
});
