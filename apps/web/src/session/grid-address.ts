// Where a grid is: its origin, from what the volunteer typed, and the database this browser keeps for it.

/** The database that keeps one grid's outbox and receipts: results for one coordinator never go to another. */
export const gridDatabase = (url: string): string => `bricolage grid ${url}`;

/** `https://host[:port]` of what the volunteer typed, or null when it is no http(s) URL. */
export function gridOrigin(text: string): string | null {
  try {
    const url = new URL(text.trim());
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : null;
  } catch {
    return null;
  }
}
