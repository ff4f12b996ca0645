// Which peer rooms a started tab is in: those of the projects it serves, as the runtime leases from them. A
// project the volunteer unticked gets no room: its volunteers would meet this tab (and see its address) over
// WebRTC, and be served its assets, for a project it chose not to help.

/** Rooms one tab joins at most: every publish in a room goes to each of its connections. */
export const MAX_ROOMS = 4;

/**
 * The rooms for these settings, in the grid's order: the projects listed that the volunteer serves (`served`
 * null: every one, as the runtime and the coordinator take `projects` absent), narrowed to `only` (`?project=`)
 * where the page has one, as a lease asking for both gets their intersection (the coordinator's `leaseScopes`).
 */
export function servedRooms(
  listed: readonly string[],
  served: readonly string[] | null,
  only: string | null,
): string[] {
  // `?project=` names its project whether or not the list has it yet: the lease asks for it by name too.
  const candidates = only ? [only] : listed;
  return candidates.filter((project) => served === null || served.includes(project)).slice(0, MAX_ROOMS);
}
