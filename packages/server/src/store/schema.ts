/**
 * @module The DuckDB schema. `events` is append-only in upload order (zone maps on the time columns
 * do the pruning). Profiles, id maps and group profiles are append-only version logs: each change
 * appends a row with a higher `version`, and the `*_current` views pick the newest row per key, so a
 * batch never updates in place. `compactVersionLogs` drops superseded rows at open.
 *
 * Reading it (query engine, export):
 * - `events`: one row per stored event. Times are BIGINT ms since the epoch in UTC
 *   (`event_time_ms` for dashboards, `server_upload_time_ms` for export hours; `epoch_ms(x)` makes a
 *   TIMESTAMP). `amplitude_id` is the id at ingest time; a merged anonymous id stays on its old rows,
 *   so a user's rows are `amplitude_id IN (canonical, merged…)` (`users_current.merged_amplitude_ids`).
 *   `session_id` is -1 outside sessions. `revenue` is already price × quantity.
 * - JSON text columns (`event_properties`, `user_properties` as of the event, `groups`,
 *   `group_properties`, `extra`) work with `json_extract_string(col, '$.key')` / `col->>'key'`.
 * - `toExportRecord(eventRowFromObject(row))` over `SELECT ${EVENT_SELECT_LIST}` gives the 55-key
 *   export record.
 * - `users_current`: the profile per (project, amplitude_id); rows with `merged_into` set are merged
 *   anonymous profiles. `user_ids_current` / `device_ids_current` map ids to Amplitude ids.
 * - `advertising_ids_current`: advertising id (`idfa`, `idfv`, `adid`, `android_app_set_id`) →
 *   the Amplitude id last seen with it. `attributions`: the Attribution API log, one row per
 *   attribution received (`status` `held` or `applied`) and one more when a held one is applied
 *   (`attribution-book.ts`); rows without a status predate matching.
 * - `ampkit_meta`: `schema_version`, and `max_amplitude_id` (`amplitude-id-floor.ts`).
 */
import { ATTRIBUTION_ADDED_COLUMNS } from './attribution-book.ts'
import { EVENT_COLUMNS, sqlTypeOf } from './event-row.ts'

/** Bumped when a table changes incompatibly. */
export const SCHEMA_VERSION = 1

/** Columns of the `users` version log, in appender order. */
export const USER_COLUMNS = [
  ['project_id', 'INTEGER'],
  ['amplitude_id', 'BIGINT'],
  ['version', 'BIGINT'],
  ['user_id', 'VARCHAR'],
  ['user_properties', 'VARCHAR'],
  ['groups', 'VARCHAR'],
  ['device_ids', 'VARCHAR'],
  ['merged_amplitude_ids', 'VARCHAR'],
  ['merged_into', 'BIGINT'],
  ['first_event_time_ms', 'BIGINT'],
  ['identify_fields', 'VARCHAR'],
  ['identify_seq', 'BIGINT'],
  ['updated_ms', 'BIGINT'],
] as const

const columns = (list: readonly (readonly [string, string])[]) =>
  list.map(([name, type]) => `${name} ${type}`).join(', ')

/** Statements that create every table and view (idempotent). */
export const SCHEMA_STATEMENTS: readonly string[] = [
  'CREATE TABLE IF NOT EXISTS ampkit_meta (key VARCHAR, value VARCHAR)',
  `CREATE TABLE IF NOT EXISTS events (${EVENT_COLUMNS.map((c) => `${c.name} ${sqlTypeOf(c.kind)}`).join(', ')})`,
  `CREATE TABLE IF NOT EXISTS users (${columns(USER_COLUMNS)})`,
  'CREATE TABLE IF NOT EXISTS user_ids (project_id INTEGER, user_id VARCHAR, amplitude_id BIGINT, version BIGINT)',
  'CREATE TABLE IF NOT EXISTS device_ids (project_id INTEGER, device_id VARCHAR, amplitude_id BIGINT, version BIGINT)',
  `CREATE TABLE IF NOT EXISTS group_profiles (project_id INTEGER, group_type VARCHAR, group_value VARCHAR,
    version BIGINT, group_properties VARCHAR, updated_ms BIGINT)`,
  `CREATE TABLE IF NOT EXISTS attributions (project_id INTEGER, received_ms BIGINT, path VARCHAR,
    source_ip VARCHAR, event VARCHAR)`,
  // Added with attribution matching (`attribution-book.ts`); older files gain them at open.
  ...ATTRIBUTION_ADDED_COLUMNS.map(
    ([name, type]) => `ALTER TABLE attributions ADD COLUMN IF NOT EXISTS ${name} ${type}`,
  ),
  `CREATE TABLE IF NOT EXISTS advertising_ids (project_id INTEGER, id_type VARCHAR, id_value VARCHAR,
    amplitude_id BIGINT, version BIGINT)`,
  `CREATE OR REPLACE VIEW users_current AS SELECT * FROM users
    QUALIFY row_number() OVER (PARTITION BY project_id, amplitude_id ORDER BY version DESC) = 1`,
  `CREATE OR REPLACE VIEW user_ids_current AS SELECT * FROM user_ids
    QUALIFY row_number() OVER (PARTITION BY project_id, user_id ORDER BY version DESC) = 1`,
  `CREATE OR REPLACE VIEW device_ids_current AS SELECT * FROM device_ids
    QUALIFY row_number() OVER (PARTITION BY project_id, device_id ORDER BY version DESC) = 1`,
  `CREATE OR REPLACE VIEW advertising_ids_current AS SELECT * FROM advertising_ids
    QUALIFY row_number() OVER (PARTITION BY project_id, id_type, id_value ORDER BY version DESC) = 1`,
  `CREATE OR REPLACE VIEW group_profiles_current AS SELECT * FROM group_profiles
    QUALIFY row_number() OVER (PARTITION BY project_id, group_type, group_value ORDER BY version DESC) = 1`,
]

/** Keys of each version log, for compaction. */
export const VERSION_LOGS: readonly { table: string; keys: readonly string[] }[] = [
  { table: 'users', keys: ['project_id', 'amplitude_id'] },
  { table: 'user_ids', keys: ['project_id', 'user_id'] },
  { table: 'device_ids', keys: ['project_id', 'device_id'] },
  { table: 'group_profiles', keys: ['project_id', 'group_type', 'group_value'] },
  { table: 'advertising_ids', keys: ['project_id', 'id_type', 'id_value'] },
]
