// What a package that reads values with the protocol's schemas needs of a schema, without depending on zod itself
// (zod stays this package's dependency alone): it parses an unknown value into its type, or says why it cannot.

export interface Schema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { message: string } };
}

/** The type `S` parses into. */
export type Parsed<S> = S extends Schema<infer T> ? T : never;
