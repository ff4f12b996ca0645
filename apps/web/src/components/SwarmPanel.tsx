// The swarm: the other volunteers of the project this tab serves, seen directly (WebRTC) while it computes: who
// is online, what they run on and how fast, what they hold, what came from them instead of the coordinator, and
// whether the coordinator showed anyone a different log. Shown only after Start, and kept up through outages.
import type { SwarmPeer, SwarmView } from '@bricolage/peer';
import type { Project } from '@bricolage/protocol';
import { memo } from 'react';
import { formatDuration, formatPerMinute, formatRate, shortKey } from '../format';
import type { AssetFetch } from '../session';

const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
/** Bytes as a person reads them: a kernel of a few hundred bytes is not "0 MB". */
const mb = (bytes: number) =>
  bytes < 1000
    ? `${bytes} B`
    : bytes < 1_000_000
      ? `${decimal.format(bytes / 1000)} kB`
      : `${decimal.format(bytes / 1_000_000)} MB`;

const DEVICE: Record<string, string> = { gpu: 'GPU', 'software-gpu': 'software GPU', cpu: 'CPU' };

export const SwarmPanel = memo(function SwarmPanel({
  swarms,
  projects,
  fetches,
}: {
  swarms: readonly SwarmView[];
  projects: readonly Project[];
  fetches: readonly AssetFetch[];
}) {
  if (swarms.length === 0) return null;
  return (
    <section className="card swarm" aria-labelledby="swarm-h" data-testid="swarm">
      <h2 id="swarm-h">Peers</h2>
      {swarms.map((swarm) => (
        <Swarm key={swarm.project} swarm={swarm} project={projects.find((p) => p.id === swarm.project) ?? null} />
      ))}
      {fetches.length > 0 && (
        <div className="asset-fetches">
          <h3>Job assets fetched</h3>
          <ul>
            {fetches.map((f, i) => (
              <li
                // biome-ignore lint/suspicious/noArrayIndexKey: a fetch list has no other identity (one hash may repeat).
                key={i}
                data-testid="asset-fetch"
                data-from={f.from}
                data-bytes={f.bytes}
                data-ms={Math.round(f.ms)}
              >
                <code>{f.hash.slice(0, 12)}…</code> {mb(f.bytes)} from{' '}
                {f.from === 'peers' ? 'peers' : 'the coordinator'} in {formatDuration(f.ms)}
              </li>
            ))}
          </ul>
        </div>
      )}
      <p className="muted small">
        Volunteers of a project see each other directly (WebRTC, introduced by the coordinator) and share job assets,
        each piece checked against the coordinator’s hashes. They never trust each other’s results: only the coordinator
        validates and credits.
      </p>
    </section>
  );
});

function Swarm({ swarm, project }: { swarm: SwarmView; project: Project | null }) {
  const others = swarm.peers.length - 1;
  const { blobs } = swarm;
  return (
    <div className="swarm-room" data-testid="swarm-room" data-project={swarm.project}>
      {swarm.alarms.length > 0 && <SplitView swarm={swarm} />}
      <p data-testid="swarm-online" data-peers={swarm.peers.length} data-connections={swarm.connections}>
        <strong>
          {swarm.peers.length} {swarm.peers.length === 1 ? 'volunteer' : 'volunteers'} online
        </strong>{' '}
        in {project?.name ?? swarm.project} (you and {others} {others === 1 ? 'other' : 'others'}
        {swarm.unreadPresence > 0 && `, and ${swarm.unreadPresence} more not read`}), together{' '}
        <span data-testid="swarm-rate">{formatRate(swarm.combinedRate)}</span>.{' '}
        <span className={swarm.signaling && swarm.tagged ? 'pill ok' : 'pill warn'} data-testid="swarm-signaling">
          {!swarm.signaling
            ? 'no introductions: coordinator unreachable'
            : swarm.tagged
              ? 'introductions open'
              : 'no introductions: the coordinator is older than this page'}
        </span>
      </p>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1). */}
      <section className="table-scroll" tabIndex={0} aria-label="Volunteers in this room">
        <table>
          <caption className="visually-hidden">Volunteers in this room</caption>
          <thead>
            <tr>
              <th scope="col">Volunteer</th>
              <th scope="col">Device</th>
              <th scope="col" className="num">
                WU/min
              </th>
              <th scope="col">Now</th>
            </tr>
          </thead>
          <tbody>
            {swarm.peers.map((peer) => (
              <tr key={peer.id} data-testid="swarm-peer" data-self={peer.self} data-state={peer.presence.state}>
                <td data-proven={String(peer.proven)}>
                  <Volunteer peer={peer} />
                  {peer.self && <span className="pill ok"> you</span>}
                </td>
                {/* The device, and what it runs on below it: five columns did not fit the card beside the page's. */}
                <td>
                  {peer.presence.device ? DEVICE[peer.presence.device] : '—'}
                  <div className="muted small">{peer.presence.backend ?? '—'}</div>
                </td>
                <td className="num">{peer.presence.rate === null ? '—' : formatPerMinute(peer.presence.rate)}</td>
                <td>{peer.presence.state}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <dl className="stats swarm-stats">
        <div>
          <dt>Work units held in the room</dt>
          <dd data-testid="swarm-held" data-computing={swarm.units.computing} data-computed={swarm.units.computed}>
            {swarm.units.computing} computing, {swarm.units.computed} computed and waiting
          </dd>
        </div>
        <div>
          <dt>Assets from peers</dt>
          <dd data-testid="swarm-from-peers" data-bytes={blobs.bytesFromPeers} data-blobs={blobs.fetched}>
            {mb(blobs.bytesFromPeers)}
          </dd>
        </div>
        <div>
          <dt>Assets from the coordinator</dt>
          <dd data-testid="swarm-from-coordinator" data-bytes={blobs.bytesFromCoordinator}>
            {mb(blobs.bytesFromCoordinator)}
          </dd>
        </div>
        <div>
          <dt>Served to peers</dt>
          <dd data-testid="swarm-served" data-bytes={blobs.bytesServed}>
            {mb(blobs.bytesServed)}
          </dd>
        </div>
        <div>
          <dt>Log heads checked</dt>
          <dd
            data-testid="swarm-witness"
            data-agreements={swarm.witness.agreements}
            data-proofs={swarm.witness.consistencyChecks}
            title="Tree heads of the receipt log this tab and its peers read, compared: same size, same root; a larger one proven to extend a smaller one"
          >
            {swarm.witness.agreements} matched, {swarm.witness.consistencyChecks} proven consistent
          </dd>
        </div>
      </dl>
      {blobs.dropped.length > 0 && (
        <div className="dropped" data-testid="dropped-peers" data-count={blobs.dropped.length}>
          <h3>Peers dropped</h3>
          <ul>
            {/* Its awareness id is only what it said (anyone may say any id): named as a claim, not marked on a row. */}
            {blobs.dropped.map((d) => (
              <li key={`${d.sender}-${d.at}`}>
                A peer{d.claimed === null ? '' : ` (it said it was ${d.claimed})`} {d.reason}; its connection was closed
                and nothing more is taken from its volunteer key.
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

/** A peer's volunteer key, shown as theirs only when their presence proves it (anyone may name any key). */
function Volunteer({ peer }: { peer: SwarmPeer }) {
  const key = peer.presence.volunteer;
  if (!key) return <>unnamed</>;
  if (peer.proven === true) return <>{shortKey(key)}</>;
  if (peer.proven === null) return <>{shortKey(key)} (checking)</>;
  return <>says {shortKey(key)} (unproven)</>;
}

function SplitView({ swarm }: { swarm: SwarmView }) {
  return (
    <div className="notice error" role="alert" data-testid="split-view" data-alarms={swarm.alarms.length}>
      <div>
        <strong>The coordinator has shown different volunteers different logs.</strong> Its receipts cannot be relied
        on: the log it signed is not the same for everyone.
        <ul>
          {swarm.alarms.map((alarm) =>
            alarm.kind === 'split-view' ? (
              <li key={`${alarm.a.head.root}-${alarm.b.head.root}`}>
                Two tree heads of {alarm.a.head.size} receipts, both signed by it, with different roots (
                <code>{alarm.a.head.root.slice(0, 12)}…</code> and <code>{alarm.b.head.root.slice(0, 12)}…</code>).
              </li>
            ) : (
              <li key={`${alarm.older.head.root}-${alarm.newer.head.root}`}>
                It cannot prove that its log of {alarm.newer.head.size} receipts extends the one of{' '}
                {alarm.older.head.size} it signed: {alarm.message}.
              </li>
            ),
          )}
        </ul>
      </div>
    </div>
  );
}
