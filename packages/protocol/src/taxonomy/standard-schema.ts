/**
 * @module The Standard Schema v1 interface (https://standardschema.dev), which zod, valibot and
 * arktype schemas implement: `schema['~standard'].validate(value)`. Copied as types only, so no
 * validator library is a dependency.
 */

/** One problem a validator found. */
export interface StandardSchemaIssue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
}

/** What `validate` returns: the value, or the issues. */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaIssue> }

/** The `~standard` property. */
export interface StandardSchemaProps<Input = unknown, Output = Input> {
  readonly version: 1
  readonly vendor: string
  readonly validate: (
    value: unknown,
  ) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>
  readonly types?: { readonly input: Input; readonly output: Output } | undefined
}

/** A validator of any Standard Schema library. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaProps<Input, Output>
}

/** The input type of a Standard Schema validator. */
export type StandardSchemaInput<S> = S extends {
  readonly '~standard': { readonly types?: infer T }
}
  ? NonNullable<T> extends { readonly input: infer I }
    ? I
    : unknown
  : never

/** True for a Standard Schema validator. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false
  const props = (value as { '~standard'?: { validate?: unknown } })['~standard']
  return typeof props === 'object' && props !== null && typeof props.validate === 'function'
}
