// Other grids: coordinators the volunteer adds by URL, each with its key, its projects, a share of this
// tab's time, and the receipts it issued (verified against its own key); and those removed, while they deliver.
import { keyFingerprint } from '@bricolage/protocol';
import { type FormEvent, useState, useSyncExternalStore } from 'react';
import type { GridView } from '../session/grid-view';
import type { GridMoves, MoveDirection } from '../session/grid-moves';
import { type Grids, HOME } from '../session/grids';
import { whileBusy } from './busy';

interface GridsPanelProps {
  readonly grids: Grids;
  /** The home grid's key, as kept (null while unknown, or when it now publishes another). */
  readonly homeKey: string | null;
  /** The logs the home grid honours, as it publishes them. */
  readonly homeHonours: readonly string[] | null;
}

export function GridsPanel({ grids: session, homeKey, homeHonours }: GridsPanelProps) {
  const grids = useSyncExternalStore(session.subscribe, session.view, session.view);
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
            homeHonours={homeHonours}
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
        {grid.movedIn > 0 && <span data-testid="grid-moved-in"> · {amount(grid.movedIn)} moved in</span>}
        {grid.movedOut > 0 && <span data-testid="grid-moved-out"> · {amount(grid.movedOut)} moved out</span>}
        ), <span data-testid="grid-validated">{grid.validated ?? 0}</span> validated results
        {grid.failed > 0 && <span className="bad"> · {grid.failed} failed a later check</span>}
        {grid.rejected > 0 && <span className="bad"> · {grid.rejected} refused: did not verify</span>}
      </p>
      <SetAside grid={grid} session={session} id={id} />
      {grid.leaving ? (
        <Leaving grid={grid} session={session} id={id} />
      ) : (
        <Served {...{ grid, session, homeKey, homeHonours, moves, id }} />
      )}
    </li>
  );
}

/**
 * Results the grid failed on again and again, set aside in this browser (not sent again, so that those after them
 * still go through), with a Retry for a grid fixed since: as the home grid's, a leaving grid's too.
 */
function SetAside({ grid, session, id }: { grid: GridView; session: Grids; id: (s: string) => string }) {
  const n = grid.setAside ?? 0;
  if (n === 0) return null;
  return (
    <p className="notice" data-testid="grid-set-aside">
      <span id={id('set-aside')}>
        <span data-testid="grid-set-aside-count">{n}</span> result{n === 1 ? '' : 's'} set aside: the grid failed on{' '}
        {n === 1 ? 'it' : 'them'} again and again. Kept in this browser and not sent again, so that the results after{' '}
        {n === 1 ? 'it' : 'them'} still go through; once the grid is fixed, Retry sends {n === 1 ? 'it' : 'them'} again.
      </span>{' '}
      <button type="button" aria-describedby={id('set-aside')} onClick={() => void session.retrySetAside(grid.url)}>
        Retry the results set aside
      </button>
    </p>
  );
}

/**
 * What a removed grid still holding results shows: what it has left to deliver, and a way to give them up. Results
 * set aside keep it listed too (shown above, with their Retry): the Forget counts them among those given up.
 */
function Leaving({ grid, session, id }: { grid: GridView; session: Grids; id: (s: string) => string }) {
  const results = (n: number | null) => (n === null ? 'results' : `${n} result${n === 1 ? '' : 's'}`);
  const aside = grid.setAside ?? 0;
  const given = grid.undelivered === null ? null : grid.undelivered + aside;
  return (
    <p className="notice" data-testid="grid-leaving">
      <span id={id('leaving')}>
        Removing: {results(grid.undelivered)} still to deliver{aside > 0 ? `, ${aside} set aside` : ''}. Nothing more is
        computed for it; it is forgotten once none is left (add it again to keep it).
      </span>{' '}
      <button type="button" aria-describedby={id('leaving')} onClick={() => void session.forget(grid.url)}>
        Forget it now: {results(given)} will not be delivered
      </button>
    </p>
  );
}

interface ServedProps extends GridItemProps {
  readonly id: (s: string) => string;
}

/** A grid served: its share, its projects, credit moved, and its Remove. */
function Served({ grid, session, homeKey, homeHonours, moves, id }: ServedProps) {
  return (
    <>
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
        // Each grid must honour the other's log: the sending grid exports only to a grid it honours, and the
        // receiving one credits only exports of a log it honours. A grid that changed its key moves nothing.
        open={
          homeKey !== null &&
          grid.keyChanged === null &&
          (homeHonours?.includes(grid.key) ?? false) &&
          (grid.honouredLogs?.includes(homeKey) ?? false)
        }
        moves={moves}
        id={id}
      />
      <button type="button" onClick={() => void session.remove(grid.url)}>
        Remove {grid.url}
      </button>
    </>
  );
}

interface MoveCreditProps {
  readonly grid: GridView;
  readonly session: Grids;
  /** Credit may move between the home grid and this one: each honours the other's log. */
  readonly open: boolean;
  readonly moves: GridMoves | undefined;
  readonly id: (s: string) => string;
}

/**
 * Credit moved between the home grid and this one, either way: what the volunteer may spend on one becomes
 * spendable on the other alone (an export there, credited here once). What one grid moved out and the other has
 * not credited waits, shown, with a button to present it again.
 */
function MoveCredit({ grid, session, open, moves, id }: MoveCreditProps) {
  const [direction, setDirection] = useState<MoveDirection>('toGrid');
  const [amountText, setAmountText] = useState('');
  const value = Number(amountText);
  const valid = amountText.trim() !== '' && Number.isFinite(value) && value >= 0.001;
  const busy = moves?.busy ?? false;
  const move = (e: FormEvent) => {
    e.preventDefault();
    if (valid && !busy) void session.move(grid.url, direction, value).then((moved) => moved && setAmountText(''));
  };
  const waiting = (n: number, d: MoveDirection, text: string, to: string) =>
    n > 0 && (
      <p className="notice" data-testid={`grid-waiting-${d}`}>
        <span id={id(`waiting-${d}`)}>
          {amount(n)} credit {text}
        </span>{' '}
        <button
          type="button"
          aria-describedby={id(`waiting-${d}`)}
          {...whileBusy(busy)}
          onClick={() => void session.creditWaiting(grid.url, d)}
        >
          Present it again to {to}
        </button>
      </p>
    );
  const toGrid = moves?.waitingToGrid ?? 0;
  const toHome = moves?.waitingToHome ?? 0;
  if (!open && toGrid === 0 && toHome === 0 && !moves?.message) return null;
  return (
    <div className="moves" data-testid="grid-moves">
      {open && (
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
            value={direction}
            onChange={(e) => setDirection(e.currentTarget.value as MoveDirection)}
          >
            <option value="toGrid">from this coordinator to {grid.url}</option>
            <option value="toHome">from {grid.url} to this coordinator</option>
          </select>
          <button type="submit" {...whileBusy(busy || !valid)}>
            {busy ? 'Moving…' : 'Move'}
          </button>
        </form>
      )}
      {waiting(toGrid, 'toGrid', `moved out of this coordinator waits to be credited by ${grid.url}.`, grid.url)}
      {waiting(
        toHome,
        'toHome',
        `moved out of ${grid.url} waits to be credited by this coordinator.`,
        'this coordinator',
      )}
      {/* Mounted throughout, so that what a move did is announced when it is written in. */}
      <p className={moves?.failed ? 'notice error' : 'notice'} role="status" data-testid="grid-move-message">
        {moves?.message ?? ''}
      </p>
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
