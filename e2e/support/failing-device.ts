// A device on which every work unit fails: the results of the page (and of any frame in it) turned into error results
// on their way to the real coordinator, which charges them to the key's error allowance (rules/error-budget.ts).
import { API } from '@bricolage/protocol';
import type { Page } from '@playwright/test';

/** Routes `page`'s submits so; `errors()` is how many results it has turned so far. */
export async function failEveryResult(page: Page): Promise<{ errors(): number }> {
  let errors = 0;
  await page.route(`**${API.submit}`, async (route) => {
    const { results } = route.request().postDataJSON() as { results: { lease: string }[] };
    errors += results.length;
    const failed = results.map((r) => ({
      kind: 'error',
      lease: r.lease,
      code: 'runtime_error',
      message: 'this device fails every work unit',
    }));
    await route.continue({ postData: JSON.stringify({ results: failed }) });
  });
  return { errors: () => errors };
}
