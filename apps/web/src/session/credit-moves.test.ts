import type { ExportRequest, ReceiptBody } from '@bricolage/protocol';
import type { StoredReceipt } from '@bricolage/receipts';
import type { ClientFailure } from '@bricolage/runtime';
import { beforeEach, describe, expect, it } from 'vitest';
import { type CreditSide, creditWaiting, moveCredit, unsureMoveState, waitingMoves } from './credit-moves';

const ME = 'volunteer-key';
type Answer = { ok: true; value: unknown } | { ok: false; error: ClientFailure };
const failure = (code: ClientFailure['code'], message: string = code): Answer => ({
  ok: false,
  error: { code, message, status: code === 'network' ? 0 : 409, transient: code === 'network' },
});

/** A kept record of `body` (only the fields the moves read). */
function record(body: ReceiptBody, ok = true): StoredReceipt {
  return {
    id: `${body.log}/${body.index}`,
    log: body.log,
    index: body.index,
    volunteer: body.volunteer,
    project: '',
    job: '',
    workUnit: '',
    credit: body.type === 'export' ? -body.debit : 0,
    at: body.at,
    proven: { receipt: { body, signature: 'sig' } },
    storedAt: 0,
    check: { ok },
  } as unknown as StoredReceipt;
}

const exported = (index: number, to: string, debit = 2, volunteer = ME): ReceiptBody =>
  ({ type: 'export', log: 'a-key', index, volunteer, to, debit, at: 1 }) as ReceiptBody;
const imported = (index: number, from: string, fromIndex: number): ReceiptBody =>
  ({ type: 'import', log: 'b-key', index, volunteer: ME, from, fromIndex, credit: 2, at: 1 }) as ReceiptBody;

/** One grid: its kept records, and the answers its volunteer gives (recorded as asked). */
function side(name: string, key: string, kept: StoredReceipt[] = []) {
  const exports: ExportRequest[] = [];
  const imports: unknown[][] = [];
  const asked: string[] = [];
  const answers = { exports: [] as Answer[], imports: [] as Answer[], states: [] as Answer[] };
  const grid: CreditSide = {
    name,
    key,
    store: { receiptsOfProject: async (project: string) => kept.filter((r) => r.project === project) },
    volunteer: async () =>
      ({
        exportCredit: async (request: ExportRequest) => {
          exports.push(request);
          return answers.exports.shift() ?? failure('network');
        },
        settleExport: async (requestId: string) => {
          asked.push(requestId);
          return answers.states.shift() ?? failure('network');
        },
        importCredit: async (receipts: readonly unknown[]) => {
          imports.push([...receipts]);
          return answers.imports.shift() ?? { ok: true, value: { accepted: receipts.length, credit: 2 } };
        },
      }) as never,
  };
  return { grid, exports, imports, asked, answers, kept };
}

const proven = (body: ReceiptBody) => ({ ok: true as const, value: { receipt: { receipt: { body } } } });
const ID = 'request-0123456789';
/** The waits between tries, recorded instead of slept. */
const waits: number[] = [];
const move = (from: CreditSide, to: CreditSide, amount: number) =>
  moveCredit(from, to, amount, ID, async (ms) => {
    waits.push(ms);
  });

describe('moveCredit', () => {
  beforeEach(() => {
    waits.length = 0;
  });

  it('exports from one grid and presents the proven export to the other', async () => {
    const a = side('this coordinator', 'a-key');
    const b = side('https://b.example', 'b-key');
    const answer = proven(exported(7, 'b-key', 2.5));
    a.answers.exports.push(answer);
    const outcome = await move(a.grid, b.grid, 2.5);
    expect(outcome).toEqual({
      ok: true,
      credited: true,
      message: 'Moved 2.5 credit from this coordinator to https://b.example.',
      creditedExports: [7],
    });
    expect(a.exports).toEqual([{ to: 'b-key', amount: 2.5, requestId: ID }]);
    expect(b.imports).toEqual([[answer.value.receipt]]);
    // Not written into the database here: the receipt sync keeps it, in order.
    expect(a.kept).toEqual([]);
  });

  it('retries an export whose answer was lost with the same request id, waiting longer each time', async () => {
    const a = side('this coordinator', 'a-key');
    const b = side('https://b.example', 'b-key');
    a.answers.exports.push(failure('network'), failure('network'), proven(exported(3, 'b-key')));
    expect((await move(a.grid, b.grid, 2)).ok).toBe(true);
    expect(a.exports.map((r) => r.requestId)).toEqual([ID, ID, ID]);
    expect(waits).toEqual([1_000, 3_000]);
  });

  it('says the credit may have moved when no try was answered, and that moving again sends the same request', async () => {
    const a = side('this coordinator', 'a-key');
    const b = side('https://b.example', 'b-key');
    const outcome = await move(a.grid, b.grid, 2);
    expect(outcome).toMatchObject({ ok: false, unsure: true });
    expect(outcome.message).toContain('it may have moved the credit');
    expect(a.exports).toHaveLength(3);
    expect(b.imports).toEqual([]);
  });

  it('does not try again at once an export left unanswered for the whole timeout: it says so, and how to move again', async () => {
    const a = side('this coordinator', 'a-key');
    const b = side('https://b.example', 'b-key');
    const unanswered = failure('network', 'no answer within 30 s');
    if (!unanswered.ok) a.answers.exports.push({ ok: false, error: { ...unanswered.error, timedOut: true } });
    const outcome = await move(a.grid, b.grid, 2);
    expect(outcome).toMatchObject({ ok: false, unsure: true });
    expect(outcome.message).toContain('did not answer (no answer within 30 s): it may have moved the credit');
    expect(a.exports).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('says why when the grid refuses the export, and presents nothing', async () => {
    const a = side('this coordinator', 'a-key');
    const b = side('https://b.example', 'b-key');
    a.answers.exports.push(failure('conflict', '5 is more than this volunteer may move: 1'));
    expect(await move(a.grid, b.grid, 5)).toEqual({
      ok: false,
      refused: true,
      message: 'this coordinator did not move it: 5 is more than this volunteer may move: 1',
    });
    expect(a.exports).toHaveLength(1);
    expect(b.imports).toEqual([]);
  });

  it('says a proxy’s refusal (a 4xx page of its own) moved nothing, though it may pass later', async () => {
    const a = side('this coordinator', 'a-key');
    const b = side('https://b.example', 'b-key');
    const proxied: Answer = {
      ok: false,
      error: { code: 'bad_request', message: '404 Not Found', status: 404, transient: true },
    };
    a.answers.exports.push(proxied, proxied, proxied);
    expect(await move(a.grid, b.grid, 5)).toMatchObject({ ok: false, refused: true });
    expect(b.imports).toEqual([]);
  });

  it('says the credit waits when the other grid did not credit it', async () => {
    const a = side('this coordinator', 'a-key');
    const b = side('https://b.example', 'b-key');
    a.answers.exports.push(proven(exported(3, 'b-key')));
    b.answers.imports.push(failure('network', 'Failed to fetch'));
    const outcome = await move(a.grid, b.grid, 2);
    expect(outcome).toMatchObject({ ok: true, credited: false });
    expect(outcome.message).toContain('has not credited it yet (Failed to fetch): it waits');
  });

  it('counts an export the other grid credited before (its answer lost) as credited', async () => {
    const a = side('this coordinator', 'a-key');
    const b = side('https://b.example', 'b-key');
    a.answers.exports.push(proven(exported(3, 'b-key')));
    b.answers.imports.push(failure('conflict', 'receipts[0] was already credited here'));
    expect(await move(a.grid, b.grid, 2)).toMatchObject({ ok: true, credited: true });
  });
});

describe('unsureMoveState', () => {
  it('has the grid the move left settle its request, by its id, and says when it did not say', async () => {
    const a = side('this coordinator', 'a-key');
    a.answers.states.push(
      { ok: true, value: { kind: 'exported', receipt: { receipt: { body: exported(3, 'b-key') } } } },
      { ok: true, value: { kind: 'closed' } },
      failure('network', 'Failed to fetch'),
    );
    expect(await unsureMoveState(a.grid, ID)).toEqual({ kind: 'exported' });
    expect(await unsureMoveState(a.grid, ID)).toEqual({ kind: 'closed' });
    expect(await unsureMoveState(a.grid, ID)).toEqual({ kind: 'unanswered', message: 'Failed to fetch' });
    expect(a.asked).toEqual([ID, ID, ID]);
    const closed: CreditSide = { ...a.grid, volunteer: () => Promise.reject(new Error('the database is not open')) };
    expect(await unsureMoveState(closed, ID)).toEqual({ kind: 'unanswered', message: 'the database is not open' });
  });
});

describe('waitingMoves', () => {
  it("lists this key's verified exports to the other grid that the other grid's records hold no import of", async () => {
    const a = side('this coordinator', 'a-key', [
      record(exported(1, 'b-key')), // credited below
      record(exported(2, 'b-key')), // waits
      record(exported(3, 'c-key')), // to another grid
      record(exported(4, 'b-key'), false), // its check failed
      record(exported(5, 'b-key', 2, 'someone-else')),
    ]);
    const b = side('https://b.example', 'b-key', [record(imported(9, 'a-key', 1)), record(imported(10, 'c-key', 2))]);
    expect((await waitingMoves(a.grid, b.grid, ME)).map((r) => r.index)).toEqual([2]);
  });

  it('leaves out the exports the other grid was seen crediting, its receipts of them not read yet', async () => {
    const a = side('this coordinator', 'a-key', [record(exported(1, 'b-key')), record(exported(2, 'b-key'))]);
    const b = side('https://b.example', 'b-key');
    expect((await waitingMoves(a.grid, b.grid, ME, new Set([1]))).map((r) => r.index)).toEqual([2]);
  });
});

describe('creditWaiting', () => {
  it('says so when nothing waited', async () => {
    const b = side('https://b.example', 'b-key');
    expect(await creditWaiting([], b.grid)).toEqual({
      ok: true,
      credited: true,
      message: 'Nothing waited to be credited.',
    });
    expect(b.imports).toEqual([]);
  });

  it('presents each waiting export on its own, and stops at the first the grid does not take', async () => {
    const a = side('this coordinator', 'a-key', [record(exported(1, 'b-key')), record(exported(2, 'b-key'))]);
    const b = side('https://b.example', 'b-key');
    b.answers.imports.push(failure('conflict'), failure('network', 'Failed to fetch'));
    const outcome = await creditWaiting(await waitingMoves(a.grid, b.grid, ME), b.grid);
    expect(outcome).toEqual({
      ok: false,
      message: 'https://b.example has not credited what waits: Failed to fetch',
      // The first had been credited before (its 409): it no longer waits.
      creditedExports: [1],
    });
    expect(b.imports).toHaveLength(2);
    expect(b.imports.every((r) => r.length === 1)).toBe(true);
  });
});
