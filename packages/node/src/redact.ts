/**
 * @module Keeps API keys out of everything the client surfaces. Amplitude answers an unknown key with
 * `Invalid API key: <key>` (ingestion-api.md §5), so every server message passes through here before
 * it reaches a result, a log line, stats or an emitted event.
 */

/** What a key is replaced with. */
export const REDACTED = '<redacted>'

/** Removes every occurrence of `secret` from `text`. A key shorter than 4 characters is not a key. */
export function redact(text: string, secret: string): string {
  if (secret.length < 4 || !text.includes(secret)) return text
  return text.split(secret).join(REDACTED)
}
