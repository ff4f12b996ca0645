// The wallet: what this key earned, what its own jobs cost it, and what it may still spend — the coordinator's
// figures beside the same figures recomputed from the receipts and debits this browser verified — and the way
// to spend it: the key's personal project, opened in the researcher dashboard of this tab.
import { keyFingerprint } from '@bricolage/protocol';
import { memo, useEffect, useState } from 'react';
import { formatCredit, formatTime } from '../format';
import type { LocalWallet, Session, View } from '../session';
import { whileBusy } from './busy';

/** What the panel shows of the view; it renders again only when one of these changes. */
export type WalletView = Pick<View, 'identity' | 'stats' | 'totals'>;

export const WalletPanel = memo(function WalletPanel({ session, ...view }: WalletView & { session: Session }) {
  const [local, setLocal] = useState<LocalWallet | null>(null);
  const [opening, setOpening] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const stats = view.stats;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the session reads the receipts; these say when they changed
  useEffect(() => {
    let live = true;
    void session.wallet().then((w) => {
      if (live) setLocal(w);
    });
    return () => {
      live = false;
    };
  }, [session, stats?.credit, stats?.spent, view.totals]);

  const onOpen = async () => {
    setOpening(true);
    setProblem(null);
    const opened = await session.openFundedProject('My project');
    setOpening(false);
    if (opened.ok) location.assign('/dashboard');
    else setProblem(opened.message);
  };

  const agrees = stats && local && Math.abs(stats.balance - local.balance) < 1e-9;
  return (
    <section className="card wallet" aria-labelledby="wallet-h">
      <h2 id="wallet-h">Wallet</h2>
      <p className="muted">
        Credit you earn pays for your own jobs on this grid: each of their validated work units costs its price for
        every replica it took, as a signed debit in the same public log. Credit earned on your own jobs is kept but
        cannot be spent.
      </p>
      <dl className="stats" data-testid="wallet">
        <div>
          <dt>Earned</dt>
          <dd data-testid="wallet-earned" data-value={stats?.credit}>
            {stats ? formatCredit(stats.credit) : '—'}
          </dd>
        </div>
        <div>
          <dt>Spent</dt>
          <dd data-testid="wallet-spent" data-value={stats?.spent}>
            {stats ? formatCredit(stats.spent) : '—'}
          </dd>
        </div>
        <div>
          <dt>Balance</dt>
          <dd data-testid="wallet-balance" data-value={stats?.balance}>
            {stats ? formatCredit(stats.balance) : '—'}
          </dd>
        </div>
      </dl>
      {local && (
        <p
          className="muted"
          data-testid="wallet-local"
          data-earned={local.earned}
          data-spent={local.spent}
          data-balance={local.balance}
        >
          From the {local.entries} verified entr{local.entries === 1 ? 'y' : 'ies'} in this browser: earned{' '}
          {formatCredit(local.earned)}
          {local.unspendable > 0 ? ` (${formatCredit(local.unspendable)} on your own jobs)` : ''}, spent{' '}
          {formatCredit(local.spent)}, balance {formatCredit(local.balance)}
          {stats ? (agrees ? ' — the same as the coordinator’s.' : ' — receipts not yet synced differ.') : '.'}
        </p>
      )}
      <div className="actions">
        <button type="button" onClick={() => void session.syncReceipts()} disabled={!view.identity}>
          Update
        </button>
        <button type="button" disabled={!view.identity} {...whileBusy(opening, () => void onOpen())}>
          {stats?.fundedProject ? 'Open my project' : 'Spend my credit: open my project'}
        </button>
      </div>
      {problem && <p className="error">Could not open your project: {problem}</p>}
      {local && local.history.length > 0 && (
        <ul className="wallet-history" data-testid="wallet-history">
          {local.history.map((e) => (
            <li key={e.index} data-type={e.type}>
              {formatTime(e.at)} · {'debit' in e ? `−${formatCredit(e.debit)}` : `+${formatCredit(e.credit)}`} ·{' '}
              {e.type === 'export'
                ? `moved to the grid ${keyFingerprint(e.to)}`
                : e.type === 'import' && e.job === undefined
                  ? `moved in from the grid ${keyFingerprint(e.from)}`
                  : e.job}
              {e.type === 'debit' ? ` · ${e.replicas} replica${e.replicas === 1 ? '' : 's'}` : ''}
              {e.type === 'import' && e.job !== undefined ? ' · earned on another grid' : ''}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
});
