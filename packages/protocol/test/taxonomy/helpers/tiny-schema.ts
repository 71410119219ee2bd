/**
 * A tiny Standard-Schema-shaped validator library (zod/valibot stand-in), to prove that any validator
 * implementing `~standard` plugs into a tracking plan without ampkit depending on one.
 */
import type { StandardSchemaResult, StandardSchemaV1 } from '@ampkit/protocol'

type Schema<T> = StandardSchemaV1<T, T>

function schema<T>(check: (value: unknown) => string | undefined): Schema<T> {
  return {
    '~standard': {
      version: 1,
      vendor: 'tiny',
      validate: (value): StandardSchemaResult<T> => {
        const message = check(value)
        return message === undefined ? { value: value as T } : { issues: [{ message }] }
      },
    },
  }
}

export const tiny = {
  string: (): Schema<string> =>
    schema((v) => (typeof v === 'string' ? undefined : 'Expected string')),
  number: (): Schema<number> =>
    schema((v) => (typeof v === 'number' ? undefined : 'Expected number')),
  email: (): Schema<string> =>
    schema((v) => (typeof v === 'string' && v.includes('@') ? undefined : 'Invalid email')),
  optional: <T>(inner: Schema<T>): Schema<T | undefined> =>
    schema((v) => (v === undefined ? undefined : firstMessage(inner, v))),
  object: <S extends Record<string, Schema<unknown>>>(
    shape: S,
  ): Schema<{ [K in keyof S]: S[K] extends Schema<infer T> ? T : never }> => ({
    '~standard': {
      version: 1,
      vendor: 'tiny',
      validate: (v) => {
        if (typeof v !== 'object' || v === null) return { issues: [{ message: 'Expected object' }] }
        for (const [key, inner] of Object.entries(shape)) {
          const message = firstMessage(inner, (v as Record<string, unknown>)[key])
          if (message !== undefined) return { issues: [{ message, path: [key] }] }
        }
        return { value: v as never }
      },
    },
  }),
}

function firstMessage(inner: Schema<unknown>, value: unknown): string | undefined {
  const result = inner['~standard'].validate(value)
  if (result instanceof Promise) return undefined
  return result.issues?.[0]?.message
}
