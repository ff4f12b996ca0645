// For tests only: what a dishonest operator could do to a stopped coordinator's database, to check that the
// volunteers, not the coordinator, are what stops it: a job's shader hash rewritten under its signature, or a
// project's signatures dropped (its list entry then names no key, and its jobs are leased unsigned).
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

/** Drops the signature of every job of `project`: the coordinator then lists the project without a key. */
export function tamperDropSignatures(dataDir: string, project: string): void {
  const db = new Database(layoutOf(dataDir).database);
  try {
    const changed = db
      .prepare("UPDATE jobs SET definition = json_remove(definition, '$.signature') WHERE project = ?")
      .run(project).changes;
    if (changed === 0) throw new Error(`no job of ${project} to tamper with`);
  } finally {
    db.close();
  }
}
