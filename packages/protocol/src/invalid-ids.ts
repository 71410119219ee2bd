/**
 * @module The id values Amplitude refuses for `user_id` and `device_id` (ingestion-api.md §2).
 * Whether the list is matched case-insensitively is unconfirmed: we match it case-insensitively, so a
 * client never sends `"NULL"` hoping it passes, and the local server refuses what Amplitude might.
 */

const INVALID_ID_VALUES: ReadonlySet<string> = new Set([
  'anonymous',
  'nil',
  'none',
  'null',
  'n/a',
  'na',
  'undefined',
  'unknown',
  '',
  '""',
  '00000000-0000-0000-0000-000000000000',
  '{}',
  'lmy47d',
  '0',
  '-1',
])

/** True when Amplitude refuses this value as a user or device id. */
export function isInvalidIdValue(id: string): boolean {
  return INVALID_ID_VALUES.has(id.trim().toLowerCase())
}
