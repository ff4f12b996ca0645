// Creating a project: a random id, and a random token returned once and stored hashed.
import { randomBytes } from 'node:crypto';
import type { Project, ProjectId } from '@bricolage/protocol';
import type { Clock } from './clock';
import { newProjectToken } from './http/tokens';
import type { Store } from './store/store';

type ProjectFields = { readonly name: string; readonly description: string; readonly owner: string };

/** A new project's record with a random id, not stored yet. */
export const newProjectRecord = (clock: Clock, fields: ProjectFields): Project => ({
  id: `prj_${randomBytes(10).toString('hex').slice(0, 16)}` as ProjectId,
  ...fields,
  createdAt: clock.now(),
});

export async function newProject(
  store: Store,
  clock: Clock,
  fields: ProjectFields,
): Promise<{ project: Project; token: string }> {
  const { token, hash } = newProjectToken();
  const project = newProjectRecord(clock, fields);
  await store.createProject(project, hash);
  return { project, token };
}
