// Projects: who submits jobs, as the operator creates them and as the public list shows them (with each job's
// checking and the key its jobs are signed with).
import { z } from 'zod';
import { CheckingPolicy } from './checking';
import { JobId, ProjectId } from './ids';
import { JobState, JobStatus, Name, SigningKey, Text } from './job';

export const CreateProjectRequest = z
  .object({
    name: Name,
    description: Text(2000).default(''),
    owner: Text(200).default(''),
  })
  .meta({ id: 'CreateProjectRequest' });
export const Project = z
  .object({
    id: ProjectId,
    name: z.string(),
    description: z.string(),
    owner: z.string(),
    createdAt: z.number().int(),
  })
  .meta({ id: 'Project' });
export type Project = z.infer<typeof Project>;

export const ProjectStatus = z.object({ project: Project, jobs: z.array(JobStatus) }).meta({ id: 'ProjectStatus' });

/** A job a volunteer may be given, as the public project list shows it: what it is and how it is checked. */
export const ListedJob = z
  .object({
    id: JobId,
    name: z.string(),
    state: JobState,
    /**
     * What the job runs: a WGSL kernel (with its wasm twin) or an ONNX model. A page that sees ONNX work starts
     * onnxruntime as the volunteer starts, not after the first lease names the job. Every coordinator since
     * 2026-12-02 sends it; optional so that a volunteer still reads an older grid's list (it then warms nothing).
     */
    kind: z.enum(['wgsl', 'onnx']).optional(),
    /** From the job's own settings; `describeChecking` says it in words, on the page and in the README. */
    checking: CheckingPolicy,
  })
  .meta({ id: 'ListedJob' });
export type ListedJob = z.infer<typeof ListedJob>;

/** A project in the public list (`GET /v1/projects`), with its active and paused jobs. */
export const ListedProject = Project.extend({
  /** The key the project's jobs are signed with (the one its first signed job used), or null: unsigned. */
  signingKey: SigningKey.nullable(),
  jobs: z.array(ListedJob),
}).meta({ id: 'ListedProject' });
export type ListedProject = z.infer<typeof ListedProject>;
export const ProjectList = z.object({ projects: z.array(ListedProject) }).meta({ id: 'ProjectList' });

/** What `POST /v1/projects` returns: the project and its token, shown this once (stored hashed). */
/** A volunteer key's personal project: what it is called (the key pays for its jobs from its credit). */
export const OpenFundedProjectRequest = z
  .object({ name: Name.default('My project'), description: Text(2000).default('') })
  .meta({ id: 'OpenFundedProjectRequest' });
export type OpenFundedProjectRequest = z.infer<typeof OpenFundedProjectRequest>;

export const CreatedProject = z.object({ project: Project, token: z.string() }).meta({ id: 'CreatedProject' });
export type CreatedProject = z.infer<typeof CreatedProject>;
export type ProjectStatus = z.infer<typeof ProjectStatus>;
