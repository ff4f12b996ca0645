// What the grid's operator sends and receives beyond projects: the ban list of volunteer keys.
import { z } from 'zod';
import { VolunteerKey } from './ids';
import { isStorableText, STORABLE_TEXT } from './text';

export const BanRequest = z
  .object({
    /** Why, for the operator's own records and the refused volunteer's error message. */
    reason: z.string().trim().min(1).max(500).refine(isStorableText, STORABLE_TEXT),
  })
  .meta({ id: 'BanRequest' });
export type BanRequest = z.infer<typeof BanRequest>;

export const Ban = z.object({ volunteer: VolunteerKey, reason: z.string(), at: z.number().int() }).meta({ id: 'Ban' });
export type Ban = z.infer<typeof Ban>;

export const BanResponse = z
  .object({
    ban: Ban,
    /** The key's leases that were open, released into the queue. */
    released: z.number().int().nonnegative(),
  })
  .meta({ id: 'BanResponse' });
export type BanResponse = z.infer<typeof BanResponse>;

export const UnbanResponse = z
  .object({ volunteer: VolunteerKey, wasBanned: z.boolean() })
  .meta({ id: 'UnbanResponse' });
export type UnbanResponse = z.infer<typeof UnbanResponse>;

export const BanList = z.object({ bans: z.array(Ban) }).meta({ id: 'BanList' });
export type BanList = z.infer<typeof BanList>;
