// Other grids: coordinators the volunteer adds by URL, each with its key, its projects, a share of this
// tab's time, and the receipts it issued (verified against its own key).
import { keyFingerprint } from '@bricolage/protocol';
import { type FormEvent, useState, useSyncExternalStore } from 'react';
import type { GridView } from '../session/grid';
import { type GridMoves, type Grids, HOME, type MoveDirection } from '../session/grids';
import { whileBusy } from './busy';

export function GridsPanel({ grids: session, homeKey }: { grids: Grids; homeKey: string | null }) {
  const grids = useSyncExternalStore(session.subscribe, session.view);
  const [url, setUrl] = useState('');
  const add = (e: FormEvent) => {
    e.preventDefault();
    void session.add(url).then((added) => added && setUrl(''));
  };
  return (
    <section className="card grids" aria-labelledby="grids-h">
      <h2 id="grids-h">Other grids</h2>
      <p className="muted small">
        Serve other coordinators from this tab too, with the same key. Each one’s share is its weight: your throttle is
        split between the grids that have work in proportion to their shares.
      </p>
      <div className="field">
        <label htmlFor="home-share">This coordinator’s share</label>
        <ShareInput id="home-share" value={grids.homeShare} onChange={(n) => void session.setShare(HOME, n)} />
      </div>
      <form className="field" onSubmit={add}>
        <label htmlFor="grid-url">Coordinator URL</label>
        <input
          id="grid-url"
          type="url"
          placeholder="https://grid.example.org"
          value={url}
          onChange={(e) => setUrl(e.currentTarget.value)}
        />
        {/* Unavailable while adding, and once added (the field empties): aria-disabled, so the focus stays. */}
        <button type="submit" {...whileBusy(grids.adding || url.trim() === '')}>
          {grids.adding ? 'Adding…' : 'Add grid'}
        </button>
      </form>
      {grids.error && (
        <p className="notice error" role="alert" data-testid="grid-error">
          {grids.error}
        </p>
      )}
      <ul className="grid-list">
        {grids.grids.map((g) => (
          <GridItem
            key={g.url}
            grid={g}
            session={session}
            homeKey={homeKey}
            homeHonours={grids.homeHonours}
            moves={grids.moves[g.url]}
          />
        ))}
      </ul>
    </section>
  );
}

interface GridItemProps {
  readonly grid: GridView;
  readonly session: Grids;
  readonly homeKey: string | null;
  readonly homeHonours: readonly string[] | null;
  readonly moves: GridMoves | undefined;
}

function GridItem({ grid, session, homeKey, homeHonours, moves }: GridItemProps) {
  const status = grid.online === null ? 'asking' : grid.online ? 'online' : 'offline';
  const id = (s: string) => `${grid.url.replace(/[^a-z0-9]/gi, '-')}-${s}`;
  return (
    <li data-testid="grid" data-url={grid.url}>
      <p>
        <strong>{grid.url}</strong>{' '}
        <span className={grid.online === false ? 'pill bad' : 'pill ok'} data-testid="grid-status">
          {status}
        </span>{' '}
        <span className="muted" data-testid="grid-state">
          {grid.state}
        </span>
      </p>
      <p className="muted small" data-testid="grid-key">
        Key {keyFingerprint(grid.key)}: its receipts are verified against it
      </p>
      {grid.keyChanged && (
        <p className="notice error" role="alert">
          It now publishes another key ({keyFingerprint(grid.keyChanged)}); receipts signed by it will not verify.
        </p>
      )}
      <p data-testid="grid-counts">
        <span data-testid="grid-receipts">{grid.receipts}</span> verified receipts ({amount(grid.credit)} credit
        {grid.debits > 0 && (
          <span data-testid="grid-debits">
            {' '}
            · {grid.debits} debit{grid.debits === 1 ? '' : 's'}, {amount(grid.spent)} spent
          </span>
        )}
        ), <span data-testid="grid-validated">{grid.validated ?? 0}</span> validated results
        {grid.failed > 0 && <span className="bad"> · {grid.failed} failed a later check</span>}
        {grid.rejected > 0 && <span className="bad"> · {grid.rejected} refused: did not verify</span>}
      </p>
      <div className="field">
        <label htmlFor={id('share')}>Share</label>
        <ShareInput id={id('share')} value={grid.share} onChange={(n) => void session.setShare(grid.url, n)} />
      </div>
      <ul className="project-list">
        {grid.projects.map((p) => (
          <li key={p.id} className="field check project-choice">
            <input
              id={id(p.id)}
              type="checkbox"
              checked={grid.servedProjects === null || grid.servedProjects.includes(p.id)}
              onChange={(e) => void session.setServed(grid.url, p.id, e.currentTarget.checked)}
            />
            <label htmlFor={id(p.id)} className="project-name">
              {p.name}
            </label>
          </li>
        ))}
      </ul>
      <MoveCredit
        grid={grid}
        session={session}
        toGrid={homeHonours?.includes(grid.key) ?? false}
        toHome={homeKey !== null && (grid.honouredLogs?.includes(homeKey) ?? false)}
        moves={moves}
        id={id}
      />
      <button type="button" onClick={() => void session.remove(grid.url)}>
        Remove {grid.url}
      </button>
    </li>
  );
}

interface MoveCreditProps {
  readonly grid: GridView;
  readonly session: Grids;
  /** Credit may move from the home grid to this one (the home grid honours it), and back (it honours the home's). */
  readonly toGrid: boolean;
  readonly toHome: boolean;
  readonly moves: GridMoves | undefined;
  readonly id: (s: string) => string;
}

/**
 * Credit moved between the home grid and this one: what the volunteer may spend on one becomes spendable on the
 * other alone (an export there, credited here once). Offered only the ways the grids honour each other's logs.
 */
function MoveCredit({ grid, session, toGrid, toHome, moves, id }: MoveCreditProps) {
  const [direction, setDirection] = useState<MoveDirection>(toGrid ? 'toGrid' : 'toHome');
  const [amountText, setAmountText] = useState('');
  const ways = { toGrid, toHome };
  // The way chosen while it is open; else the open one (a grid's list of honoured logs may change as it is read).
  const chosen: MoveDirection | null = ways[direction] ? direction : toGrid ? 'toGrid' : toHome ? 'toHome' : null;
  const value = Number(amountText);
  const valid = amountText.trim() !== '' && Number.isFinite(value) && value >= 0.001;
  const busy = moves?.busy ?? false;
  const move = (e: FormEvent) => {
    e.preventDefault();
    if (chosen && valid && !busy) void session.move(grid.url, chosen, value).then(() => setAmountText(''));
  };
  const waiting = (n: number, d: MoveDirection, text: string) =>
    n > 0 && (
      <p className="notice" data-testid={`grid-waiting-${d}`}>
        {amount(n)} credit {text}{' '}
        <button type="button" {...whileBusy(busy)} onClick={() => void session.creditWaiting(grid.url, d)}>
          Present it again
        </button>
      </p>
    );
  if (!chosen && !moves?.waitingToGrid && !moves?.waitingToHome) return null;
  return (
    <div className="moves" data-testid="grid-moves">
      {chosen && (
        <form className="field" onSubmit={move}>
          <label htmlFor={id('move-amount')}>Move credit</label>
          <input
            id={id('move-amount')}
            type="number"
            min={0.001}
            step="any"
            placeholder="Amount"
            value={amountText}
            onChange={(e) => setAmountText(e.currentTarget.value)}
          />
          <select
            aria-label="Which way"
            value={chosen}
            onChange={(e) => setDirection(e.currentTarget.value as MoveDirection)}
          >
            {toGrid && <option value="toGrid">from this coordinator to {grid.url}</option>}
            {toHome && <option value="toHome">from {grid.url} to this coordinator</option>}
          </select>
          <button type="submit" {...whileBusy(busy || !valid)}>
            {busy ? 'Moving…' : 'Move'}
          </button>
        </form>
      )}
      {waiting(
        moves?.waitingToGrid ?? 0,
        'toGrid',
        `moved out of this coordinator waits to be credited by ${grid.url}.`,
      )}
      {waiting(
        moves?.waitingToHome ?? 0,
        'toHome',
        `moved out of ${grid.url} waits to be credited by this coordinator.`,
      )}
      {moves?.message && (
        <p
          className={moves.failed ? 'notice error' : 'notice'}
          role={moves.failed ? 'alert' : 'status'}
          data-testid="grid-move-message"
        >
          {moves.message}
        </p>
      )}
    </div>
  );
}

function ShareInput({ id, value, onChange }: { id: string; value: number; onChange: (n: number) => void }) {
  return (
    <input
      id={id}
      type="number"
      min={1}
      max={10000}
      step={1}
      value={value}
      onChange={(e) => {
        const n = e.currentTarget.valueAsNumber;
        if (Number.isFinite(n) && n >= 1) onChange(n);
      }}
    />
  );
}

function amount(credit: number): string {
  return credit.toLocaleString(undefined, { maximumFractionDigits: 3 });
}
