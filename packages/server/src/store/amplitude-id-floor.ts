/**
 * @module The highest Amplitude id ever issued, kept in `ampkit_meta` so that no id is ever handed
 * out twice, even after the rows that held it were deleted (User Privacy API). Each write
 * transaction that issues ids appends one `max_amplitude_id` row (append-only: the store's two
 * writer connections both append, and appends never conflict where an UPDATE of one row would);
 * opening the store reads the largest value as the floor of id issuance and compacts the rows to
 * that one.
 *
 * Data files written before this kept the floor as a marker row in `user_ids` under project 0
 * (`LEGACY_ID_FLOOR_USER_ID`). Opening such a file reads the marker once into `ampkit_meta` and
 * removes it, in one transaction; nothing writes the marker any more.
 */
import type { SqlStatement } from './store.ts'

/** The `ampkit_meta` key of the highest Amplitude id issued. */
export const MAX_AMPLITUDE_ID_KEY = 'max_amplitude_id'

/** The `user_ids` key (project 0, never a served project) of the former id-floor marker row. */
export const LEGACY_ID_FLOOR_USER_ID = '$ampkit:deleted-amplitude-ids'

const STORED_MAX = `SELECT max(TRY_CAST(value AS BIGINT)) FROM ampkit_meta
  WHERE key = '${MAX_AMPLITUDE_ID_KEY}'`

/** Reads the stored floor as `floor` (a DOUBLE: ids stay below 2^53; 0 when none is stored). */
export const READ_ID_FLOOR_SQL = `SELECT coalesce((${STORED_MAX}), 0)::DOUBLE AS floor`

const LEGACY_WHERE = `project_id = 0 AND user_id = '${LEGACY_ID_FLOOR_USER_ID}'`

/**
 * Run in one transaction at open: moves a legacy marker's id into `ampkit_meta`, deletes the
 * marker, and keeps only the largest `max_amplitude_id` row.
 */
export const ID_FLOOR_OPEN_STATEMENTS: readonly SqlStatement[] = [
  {
    sql: `INSERT INTO ampkit_meta SELECT '${MAX_AMPLITUDE_ID_KEY}', max(amplitude_id)::VARCHAR
      FROM user_ids WHERE ${LEGACY_WHERE} HAVING count(*) > 0`,
  },
  { sql: `DELETE FROM user_ids WHERE ${LEGACY_WHERE}` },
  {
    sql: `DELETE FROM ampkit_meta WHERE key = '${MAX_AMPLITUDE_ID_KEY}'
      AND TRY_CAST(value AS BIGINT) IS DISTINCT FROM (${STORED_MAX})`,
  },
]

/** The `ampkit_meta` row recording `highest` as the highest id issued (appender order). */
export function idFloorRow(highest: number): unknown[] {
  return [MAX_AMPLITUDE_ID_KEY, String(highest)]
}
