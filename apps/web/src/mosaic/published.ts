// The tiles a job has published (its validated results, GET /v1/jobs/{job}/public-results), read after the
// last cursor seen: what the volunteer page shows of a demo's picture beyond its own tab's tiles.
import { API, fromBase64, ResultLine } from '@bricolage/protocol';
import { type TilePosition, tileOf, tileSide, tileValues } from './tiles';

export interface PublishedTile {
  readonly workUnit: string;
  readonly position: TilePosition;
  readonly side: number;
  readonly values: Float32Array;
}

export interface PublishedPage {
  readonly tiles: readonly PublishedTile[];
  /** Where the next read starts. */
  readonly cursor: number;
  /** Fewer lines than asked for: nothing more for now. */
  readonly caughtUp: boolean;
}

export async function readPublished(
  base: string,
  job: string,
  after: number,
  limit: number,
  fetcher: typeof fetch = fetch,
): Promise<PublishedPage> {
  const response = await fetcher(`${base}${API.publicResults(job)}?after=${after}&limit=${limit}`);
  if (!response.ok) throw new Error(`the job's published results could not be read (HTTP ${response.status})`);
  const lines = (await response.text()).split('\n').filter((l) => l !== '');
  const tiles: PublishedTile[] = [];
  let cursor = after;
  for (const text of lines) {
    const line = ResultLine.parse(JSON.parse(text));
    cursor = line.cursor;
    const position = tileOf(line.tag);
    if (line.state !== 'validated' || line.output === null || !position) continue;
    const bytes = fromBase64(line.output);
    const side = tileSide(bytes.length);
    if (side) tiles.push({ workUnit: line.workUnit, position, side, values: tileValues(bytes) });
  }
  return { tiles, cursor, caughtUp: lines.length < limit };
}
