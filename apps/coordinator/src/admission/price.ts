// A job's price per work unit, checked at admission: no more than its time budget's worth (rules/credit.ts),
// since the coordinator signs every credit and a researcher could otherwise price a trivial job at 10^6.
import type { Failure } from '@bricolage/protocol';
import { type CreditPolicy, maxCostPerUnit } from '../rules/credit';

export function priceProblem(cost: number, timeBudgetMs: number, policy: CreditPolicy): Failure | null {
  const max = maxCostPerUnit(timeBudgetMs, policy);
  if (cost <= max) return null;
  return {
    code: 'bad_request',
    message:
      `costPerWorkUnit ${cost} exceeds ${max}, the most a unit can earn with a time budget of ${timeBudgetMs / 1000} s ` +
      `(${policy.perSecond} credits per second of it): lower the price, or raise timeBudgetMs if units take that long`,
  };
}
