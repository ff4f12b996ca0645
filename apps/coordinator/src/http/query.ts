// Whole numbers in a query string, read strictly: digits (and a leading minus) only. `z.coerce.number()` took
// `index=` for 0, `0x10` for 16 and `1e3` for 1000 — a mistyped request answered as if it meant something.
import { z } from 'zod';

const DIGITS = /^-?\d+$/;

/** `schema` (a whole number's) over a query parameter's text: anything but plain digits is refused, saying so. */
export const queryInteger = <S extends z.ZodNumber>(schema: S) =>
  z.preprocess((v, ctx) => {
    if (typeof v !== 'string') return v;
    if (DIGITS.test(v)) return Number(v);
    ctx.addIssue({
      code: 'custom',
      message: `expected a whole number in digits, not ${JSON.stringify(v.slice(0, 40))}`,
    });
    return z.NEVER;
  }, schema);
