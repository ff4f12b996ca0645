// A key as people compare it, in a module of its own: the volunteer page shows fingerprints without loading
// the job schemas that signing needs (zod keeps a module's schemas once anything of it is imported).
/** A key as people compare it: its first 16 characters in groups of four. */
export const keyFingerprint = (key: string): string => key.slice(0, 16).replace(/(.{4})(?=.)/g, '$1 ');
