// Project routes beyond the public list: creating one (the operator), telling a project token's owner
// which project it is, and each project's public status (per-job counts and diagnosis, which a farm reads
// to say why it found no work).
import type { OpenAPIHono } from '@hono/zod-openapi';
import { API, CreatedProject, CreateProjectRequest, Project, ProjectId, ProjectStatus } from '@bricolage/protocol';
import { newProject } from '../new-project';
import { ApiError } from './errors';
import type { Deps, Env } from './env';
import { limitBody, operatorAuth, perAddressLimit, projectAuth } from './middleware';
import { statusOf } from './progress';
import { parseWith, route } from './route';

const hono = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

export function projectRoutes(app: OpenAPIHono<Env>, deps: Deps): void {
  const byAddress = perAddressLimit(deps);

  route(
    app,
    {
      method: 'post',
      path: API.projects,
      operationId: 'createProject',
      summary: 'Create a project; its token is in the answer, and only there (it is stored hashed)',
      tag: 'operator',
      auth: 'operator',
      body: CreateProjectRequest,
      response: { schema: CreatedProject, description: 'The project and its token' },
    },
    [byAddress, operatorAuth(deps), limitBody(deps.config.maxJsonBytes)],
    async (c, { body }) => {
      const { project, token } = await newProject(deps.store, deps.clock, body);
      return c.json({ project, token });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: API.myProject,
      operationId: 'getMyProject',
      summary: 'The project this project token belongs to',
      tag: 'researcher',
      auth: 'project',
      response: { schema: Project, description: 'The project' },
    },
    [projectAuth(deps)],
    (c) => c.json(c.get('project')),
  );

  route(
    app,
    {
      method: 'get',
      path: hono(API.projectStatus('{project}')),
      operationId: 'getProjectStatus',
      summary:
        "A project's jobs with their counts per state and why each is where it is (no definitions, no results): public, so that volunteers and farms can see why there is no work",
      tag: 'public',
      response: { schema: ProjectStatus, description: 'The project and its jobs' },
    },
    [byAddress],
    async (c) => {
      const id = parseWith(ProjectId, c.req.param('project'), 'project id');
      const project = (await deps.store.listProjects()).find((p) => p.id === id);
      if (!project) throw new ApiError('not_found', `no project ${id}`);
      const jobs = await Promise.all((await deps.store.listJobs(id)).map((job) => statusOf(deps, job)));
      return c.json({ project, jobs });
    },
  );
}
