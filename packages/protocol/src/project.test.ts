// The public project list as a volunteer reads it: from this coordinator, and from an older one (another grid the
// page serves may run any version) that does not yet say what each job runs.
import { describe, expect, it } from 'vitest';
import { ProjectList } from './project';

const listed = (job: Record<string, unknown>) => ({
  projects: [
    {
      id: 'prj_aaaaaaaaaaaaaaaa',
      name: 'p',
      description: '',
      owner: '',
      createdAt: 0,
      signingKey: null,
      jobs: [
        {
          id: 'job_aaaaaaaaaaaaaaaa',
          name: 'j',
          state: 'active',
          checking: {
            minQuorum: 2,
            adaptive: { enabled: false, trustAfter: 10, spotCheckRate: 0.1 },
            knownAnswerRate: 0,
          },
          ...job,
        },
      ],
    },
  ],
});

describe('ProjectList', () => {
  it('reads what each job runs', () => {
    const parsed = ProjectList.safeParse(listed({ kind: 'onnx' }));
    expect(parsed.success && parsed.data.projects[0]?.jobs[0]?.kind).toBe('onnx');
    expect(ProjectList.safeParse(listed({ kind: 'python' })).success).toBe(false);
  });

  it('reads a list from a coordinator that does not say it', () => {
    const parsed = ProjectList.safeParse(listed({}));
    expect(parsed.success && parsed.data.projects[0]?.jobs[0]?.kind).toBeUndefined();
  });
});
