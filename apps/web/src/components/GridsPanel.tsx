// Other grids: coordinators the volunteer adds by URL, each with its key, its projects, a share of this
// tab's time, and the receipts it issued (verified against its own key).
import { keyFingerprint } from '@bricolage/protocol';
import { type FormEvent, useState, useSyncExternalStore } from 'react';
import type { GridView } from '../session/grid';
import { type Grids, HOME } from '../session/grids';
import { whileBusy } from './busy';

export function GridsPanel({ grids: session }: { grids: Grids }) {
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
          <GridItem key={g.url} grid={g} session={session} />
        ))}
      </ul>
    </section>
  );
}

function GridItem({ grid, session }: { grid: GridView; session: Grids }) {
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
      <button type="button" onClick={() => void session.remove(grid.url)}>
        Remove {grid.url}
      </button>
    </li>
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
