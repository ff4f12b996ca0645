import type { ProjectTally } from '@bricolage/receipts';
import { describe, expect, it } from 'vitest';
import { FrameSession } from './frame-session';
import type { FrameVisibility } from './in-view';

describe('the status the frame sends its host', () => {
  it('counts as credited only the receipts of work that still verify, and only their credit', () => {
    const session = new FrameSession({
      base: 'http://127.0.0.1:8851',
      project: 'prj_aaaaaaaaaaaaaaaa',
      host: 'http://127.0.0.1:8852',
      visibility: {} as FrameVisibility,
    });
    // 4 receipts of work (10 credit) of which one (3 credit) failed a later re-check, and a debit that holds
    // (the widget's key funding a job: spent, not credited).
    const totals: ProjectTally[] = [
      {
        project: 'prj_aaaaaaaaaaaaaaaa',
        receipts: 4,
        credit: 10,
        debits: 1,
        spent: 5,
        failed: 1,
        failedReceipts: 1,
        failedCredit: 3,
        failedSpent: 0,
      },
    ];
    expect(session.status({ ...session.model.view(), totals })).toMatchObject({ credited: 3, credit: 7 });
  });
});
