/**
 * @module The `language` field's mapping from a tag to a name (ingestion-api.md §2: "A tag such as
 * `en-US` is mapped to a name (`English`). Matching is case-insensitive and uses a large table in
 * the doc."). That table could not be read, so Node's ICU stands in for it (unconfirmed): the
 * English display name of the primary language subtag, so every regional variant maps to the bare
 * language (`en-US`, `EN_gb` → `English`; `pt-BR` → `Portuguese`), as the doc's example does. A
 * value that is not a tag (already a name such as `English`) or names no language ICU knows is kept
 * as sent: dropping or rewriting what we cannot map would lose data.
 */

/** A language tag: a 2–3 letter primary subtag, then subtags joined by `-` or `_`. */
const TAG = /^([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*$/i

/** Most distinct sent values whose mapping is cached (the cache is cleared when it is full). */
export const LANGUAGE_CACHE_MAX_ENTRIES = 4096

let displayNames: Intl.DisplayNames | undefined
const cache = new Map<string, string>()

function lookUp(value: string): string {
  const match = TAG.exec(value)
  if (match === null) return value
  const primary = match[1]!.toLowerCase()
  // `und` (undetermined) has the ICU name "root"; it is no language, so it is kept as sent.
  if (primary === 'und') return value
  displayNames ??= new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' })
  let name: string | undefined
  try {
    name = displayNames.of(primary)
  } catch {
    name = undefined
  }
  return name === undefined || name === '' ? value : name
}

/**
 * The stored name of a sent `language` value. Called for every ingested event, so lookups are
 * cached; the few distinct values real traffic sends stay cached, and a client inventing values
 * cannot grow the cache past `LANGUAGE_CACHE_MAX_ENTRIES`.
 */
export function languageName(value: string): string {
  const cached = cache.get(value)
  if (cached !== undefined) return cached
  const name = lookUp(value)
  if (cache.size >= LANGUAGE_CACHE_MAX_ENTRIES) cache.clear()
  cache.set(value, name)
  return name
}
