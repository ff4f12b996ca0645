// The little arithmetic the farm benchmark needs: means and a least-squares slope.

/** Points (x, y). */
export type Series = readonly (readonly [number, number])[];

export const mean = (xs: readonly number[]): number =>
  xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;

/** The least-squares slope of y on x; NaN with fewer than two distinct x. */
export function fitSlope(points: Series): number {
  const mx = mean(points.map(([x]) => x));
  const my = mean(points.map(([, y]) => y));
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : Number.NaN;
}

/** The standard error of `fitSlope(points)`; NaN with fewer than three points. */
export function slopeError(points: Series): number {
  const n = points.length;
  if (n < 3) return Number.NaN;
  const slope = fitSlope(points);
  const mx = mean(points.map(([x]) => x));
  const my = mean(points.map(([, y]) => y));
  let residuals = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    residuals += (y - my - slope * (x - mx)) ** 2;
    sxx += (x - mx) ** 2;
  }
  return sxx > 0 ? Math.sqrt(residuals / (n - 2) / sxx) : Number.NaN;
}
