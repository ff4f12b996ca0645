// What this tab has earned: every receipt with its proof status (and every debit, what the key's own jobs cost,
// shown as spent), totals per project, and the file that takes them elsewhere.
import type { Project } from '@bricolage/protocol';
import type { ProjectTally, StoredReceipt } from '@bricolage/receipts';
import { memo, useMemo } from 'react';
import { download, formatCredit, formatTime } from '../format';
import { RECEIPTS_SHOWN, type Session, type View } from '../session';
import { whileBusy } from './busy';

/** Rows each "show more" adds. */
const MORE = 200;

/** What the panel shows of the view; it renders again only when one of these changes. */
export type ReceiptsView = Pick<
  View,
  'audit' | 'busy' | 'identity' | 'projects' | 'receipts' | 'receiptsShown' | 'totals'
>;

export const ReceiptsPanel = memo(function ReceiptsPanel({ session, ...view }: ReceiptsView & { session: Session }) {
  const names = useProjectNames(view.projects);
  const rows = view.receipts;
  // Credit moved between grids (project '') is neither work nor spending: counted apart, as moved in and out.
  const work = view.totals.filter((t) => t.project !== '');
  const moved = view.totals.filter((t) => t.project === '');
  const count = total(work, (t) => t.receipts);
  const earned = total(work, (t) => t.credit);
  const debits = total(work, (t) => t.debits);
  const spent = total(work, (t) => t.spent);
  const movedIn = total(moved, (t) => t.credit);
  const movedOut = total(moved, (t) => t.spent);
  const failed = total(view.totals, (t) => t.failed);
  const entries = total(view.totals, (t) => t.receipts + t.debits);
  const anySpent = debits > 0 || movedOut > 0;
  const hidden = entries - rows.length;

  const onExport = async () => {
    const file = await session.exportReceipts();
    if (file) download(file.name, file.text);
  };
  const onImport = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    if (!file) return;
    await session.importReceipts(file, file.name);
    input.value = '';
  };

  return (
    <section className="card receipts" aria-labelledby="receipts-h">
      <div className="card-head">
        <h2 id="receipts-h">Receipts</h2>
        <span className="muted" data-testid="receipt-count">
          {count} receipt{count === 1 ? '' : 's'} · {formatCredit(earned)} credits earned
          {debits > 0 ? ` · ${debits} debit${debits === 1 ? '' : 's'}, ${formatCredit(spent)} spent` : ''}
          {movedIn > 0 ? ` · ${formatCredit(movedIn)} moved in` : ''}
          {movedOut > 0 ? ` · ${formatCredit(movedOut)} moved out` : ''}
          {failed > 0 ? ` · ${failed} failed verification` : ''}
        </span>
      </div>
      <p className="muted">
        Each credit is a receipt signed by the coordinator and entered in its public append-only log. They are kept in
        this browser, and you can check them yourself: <strong>Verify all</strong> re-checks every signature and Merkle
        inclusion proof against the coordinator’s published key and its current signed tree head. Debits (what your own
        jobs cost, in the same log) are listed as spent, and credit moved to or from another grid as moved.
      </p>
      <div className="actions">
        <button
          type="button"
          disabled={entries === 0}
          {...whileBusy(view.busy.verifying, () => void session.verifyAll())}
        >
          {view.busy.verifying ? 'Verifying…' : 'Verify all'}
        </button>
        <button type="button" onClick={() => void onExport()} disabled={entries === 0 || !view.identity}>
          Export
        </button>
        <span className="file-button">
          <input
            id="import-receipts"
            type="file"
            accept=".json,application/json"
            className="visually-hidden"
            {...whileBusy(view.busy.importing)}
            onChange={(e) => void onImport(e.currentTarget)}
          />
          <label htmlFor="import-receipts" className="button">
            {view.busy.importing ? 'Importing…' : 'Import…'}
          </label>
        </span>
      </div>
      {view.audit && (
        <p className="muted" data-testid="audit">
          Last check: {view.audit.passed} of {view.audit.checked} verified{' '}
          {view.audit.against === 'current'
            ? `against the log’s current tree head (size ${view.audit.treeSize})`
            : 'against their stored tree heads'}
          .
        </p>
      )}
      {view.totals.length > 0 && (
        <table className="totals">
          <caption>Totals per project</caption>
          <thead>
            <tr>
              <th scope="col">Project</th>
              <th scope="col" className="num">
                Receipts
              </th>
              <th scope="col" className="num">
                Earned
              </th>
              {anySpent && (
                <th scope="col" className="num">
                  Spent
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {view.totals.map((t) => (
              <tr key={t.project}>
                <th scope="row">{projectName(names, t.project)}</th>
                <td className="num">{t.receipts}</td>
                <td className="num">{formatCredit(t.credit)}</td>
                {anySpent && (
                  <td
                    className="num"
                    title={t.project === '' ? 'moved out' : `${t.debits} debit${t.debits === 1 ? '' : 's'}`}
                  >
                    {formatCredit(t.spent)}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rows.length === 0 ? (
        <p className="empty">
          No receipts yet. They appear once results are validated, which can take a while when a second volunteer must
          agree.
        </p>
      ) : (
        // Focusable so that keyboard users can scroll a long table.
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1).
        <section className="table-scroll" tabIndex={0} aria-label="Receipts, newest first">
          <table className="receipt-table" data-testid="receipts">
            <caption className="visually-hidden">Receipts, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Validated</th>
                <th scope="col">Project</th>
                <th scope="col">Job</th>
                <th scope="col">Work unit</th>
                <th scope="col" className="num">
                  Credit
                </th>
                <th scope="col">Proof</th>
              </tr>
            </thead>
            <ReceiptRows receipts={rows} names={names} />
          </table>
        </section>
      )}
      {(hidden > 0 || view.receiptsShown > RECEIPTS_SHOWN) && (
        <p className="actions">
          {hidden > 0 && (
            <button
              type="button"
              className="quiet"
              onClick={() => void session.showReceipts(view.receiptsShown + MORE)}
            >
              Show {Math.min(MORE, hidden)} more (of {hidden} older)
            </button>
          )}
          {view.receiptsShown > RECEIPTS_SHOWN && (
            <button type="button" className="quiet" onClick={() => void session.showReceipts(RECEIPTS_SHOWN)}>
              Show the newest {RECEIPTS_SHOWN}
            </button>
          )}
        </p>
      )}
    </section>
  );
});

const total = (tallies: readonly ProjectTally[], of: (t: ProjectTally) => number): number =>
  tallies.reduce((sum, t) => sum + of(t), 0);

/** A project's name; entries of no project ('') are credit moved between grids (exports and their imports). */
const projectName = (names: ReadonlyMap<string, string>, project: string): string =>
  project === '' ? 'Moved between grids' : (names.get(project) ?? project);

/** Project names by id, the same Map for as long as the project list is the same. */
function useProjectNames(projects: readonly Project[]): ReadonlyMap<string, string> {
  return useMemo(() => new Map(projects.map((p) => [p.id as string, p.name])), [projects]);
}

/**
 * The rows, rendered again only when the receipts or the names change: the view changes several times a
 * second while computing, and the receipts only when some arrive.
 */
const ReceiptRows = memo(function ReceiptRows({
  receipts,
  names,
}: {
  receipts: readonly StoredReceipt[];
  names: ReadonlyMap<string, string>;
}) {
  return (
    <tbody>
      {receipts.map((r) => (
        <tr key={r.id} data-testid="receipt-row" data-type={r.proven.receipt.body.type}>
          <td>{formatTime(r.at)}</td>
          <td>{projectName(names, r.project)}</td>
          <td>
            <code>{r.job}</code>
          </td>
          <td>
            <code>{r.workUnit}</code>
          </td>
          <td className="num">
            {/* A debit is no receipt of work: what the key's own job cost, spent, not earned. */}
            {r.proven.receipt.body.type === 'debit'
              ? `${formatCredit(r.proven.receipt.body.debit)} spent`
              : r.proven.receipt.body.type === 'export'
                ? `${formatCredit(r.proven.receipt.body.debit)} moved out`
                : formatCredit(r.credit)}
          </td>
          <td>
            <span
              className={r.check.ok ? 'pill ok' : 'pill bad'}
              title={`${r.check.message} (${formatTime(r.check.at)})`}
            >
              {r.check.ok ? (r.check.against === 'current' ? 'verified (current log)' : 'verified') : 'FAILED'}
            </span>
            {!r.check.ok && <span className="failure"> {r.check.message}</span>}
          </td>
        </tr>
      ))}
    </tbody>
  );
});
