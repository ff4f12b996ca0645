// A ban's word to every coordinator of the grid: each closes the banned key's open signaling connections at once.
// A handshake looks the ban up itself; a socket open before the ban was checked only when it opened, and may be
// held by any coordinator sharing the database, so the store's broadcast (LISTEN/NOTIFY on Postgres) carries it.
import type { Broadcast } from '../broadcast/broadcast';
import type { Signaling } from './signaling';

/** The broadcast topic on which a ban is announced once committed (message: the banned key). */
const BANNED = 'volunteer-banned';

/** Tells every coordinator of the grid, this one included, that the key was banned. */
export function announceBan(broadcast: Broadcast, volunteer: string): void {
  broadcast.publish(BANNED, volunteer);
}

/** Closes a key's signaling here whenever any coordinator of the grid announces its ban; returns the unsubscribe. */
export function closeBannedSignaling(broadcast: Broadcast, signaling: Signaling): () => void {
  return broadcast.subscribe(BANNED, (volunteer) => {
    signaling.closeBanned(volunteer);
  });
}
