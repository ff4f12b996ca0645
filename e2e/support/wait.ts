// Waiting for the coordinator to validate a job's work units, with a diagnosis when it does not happen.
import { expect, type Page } from '@playwright/test';
import type { Grid } from './grid';
import { volunteerEvents, volunteerStatus } from './page';

export async function waitValidated(
  grid: Grid,
  job: string,
  count: number,
  pages: Page[],
  timeout = 120_000,
): Promise<void> {
  try {
    await expect.poll(async () => (await grid.researcher.progress(job)).counts.validated, { timeout }).toBe(count);
  } catch (error) {
    console.error('job progress:', JSON.stringify(await grid.researcher.progress(job)));
    for (const [i, page] of pages.entries()) {
      const { dropped, ...status } = await volunteerStatus(page);
      const warnings = (await volunteerEvents(page))
        .filter((e) => e.type === 'warning' || e.type === 'failed')
        .slice(-5);
      console.error(`volunteer ${i}:`, JSON.stringify(status), JSON.stringify(dropped), JSON.stringify(warnings));
    }
    throw error;
  }
}
