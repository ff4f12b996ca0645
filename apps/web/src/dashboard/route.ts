// The dashboard's places, in the URL's hash so that reload and the back button keep them: the jobs list,
// a new job, and one job.

export type Route =
  | { readonly page: 'jobs' }
  | { readonly page: 'new' }
  | { readonly page: 'job'; readonly id: string };

export function parseRoute(hash: string): Route {
  const m = /^#\/jobs\/(job_[a-z0-9]{16})$/.exec(hash);
  if (m) return { page: 'job', id: m[1] as string };
  if (hash === '#/new') return { page: 'new' };
  return { page: 'jobs' };
}

export function href(route: Route): string {
  return route.page === 'job' ? `#/jobs/${route.id}` : route.page === 'new' ? '#/new' : '#/jobs';
}
