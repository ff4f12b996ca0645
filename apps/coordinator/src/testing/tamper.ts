// For tests only: what a dishonest operator could do to a stopped coordinator's database, to check that the
// volunteers, not the coordinator, are what stops it. Rewrites a job's shader hash in the stored definition
// and leaves its signature as it was.
import Database from 'better-sqlite3';
import { layoutOf } from '../data-dir/layout';

export function tamperJobShader(dataDir: string, job: string, shader: string): void {
  const db = new Database(layoutOf(dataDir).database);
  try {
    const changed = db
      .prepare("UPDATE jobs SET definition = json_set(definition, '$.spec.shader', ?) WHERE id = ?")
      .run(shader, job).changes;
    if (changed !== 1) throw new Error(`no job ${job} to tamper with`);
  } finally {
    db.close();
  }
}
