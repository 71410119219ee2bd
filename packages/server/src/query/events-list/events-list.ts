/**
 * @module `GET /api/2/events/list` (query-api.md §3.6): every event type of the project — each type
 * with a stored event, and each event the Taxonomy API declared (`ampkit_taxonomy`, when that table
 * exists) — with `totals` = its events in the 7 days before the server clock (`[now − 7 d, now)`,
 * "this week" read as a rolling week). `non_active` for the inactive types (`INACTIVE_EVENT_TYPES`)
 * and for taxonomy events with `is_active: false`; `deleted` from the taxonomy's soft delete;
 * `flow_hidden` from `is_hidden_from_pathfinder`; events hidden (`is_hidden_from_dropdowns`) are
 * omitted, as Amplitude omits them, so `hidden` is false on every listed one. `display` is the
 * taxonomy's `display_name`, else the type. Sorted by type.
 */
import type { EventListEntry } from '@ampkit/protocol'
import type { Store } from '../../store/store.ts'
import { INACTIVE_EVENT_TYPES } from '../query-event.ts'

const WEEK_MS = 7 * 86_400_000
const TAXONOMY_TABLE = 'ampkit_taxonomy'

interface TaxonomyEvent {
  deleted: boolean
  data: Record<string, unknown>
}

function flag(value: unknown): boolean {
  return value === true || value === 'true'
}

async function taxonomyEvents(
  store: Store,
  projectId: number,
): Promise<Map<string, TaxonomyEvent>> {
  const found = await store.selectRows(
    'SELECT 1 FROM duckdb_tables() WHERE table_name = ? LIMIT 1',
    [TAXONOMY_TABLE],
  )
  const events = new Map<string, TaxonomyEvent>()
  if (found.length === 0) return events
  const rows = await store.selectRows(
    `SELECT name, data, deleted FROM ${TAXONOMY_TABLE} WHERE project_id = ? AND kind = 'event'`,
    [projectId],
  )
  for (const row of rows) {
    let data: Record<string, unknown> = {}
    try {
      const parsed: unknown = JSON.parse(String(row.data))
      if (parsed !== null && typeof parsed === 'object') data = parsed as Record<string, unknown>
    } catch {
      // A record the taxonomy routes did not write: its flags stay at their defaults.
    }
    events.set(String(row.name), { deleted: row.deleted === true, data })
  }
  return events
}

/** The list, as of the server clock `nowMs`. */
export async function eventsList(
  store: Store,
  projectId: number,
  nowMs: number,
): Promise<EventListEntry[]> {
  const rows = await store.selectRows(
    `SELECT event_type, count(*) FILTER (WHERE event_time_ms >= ? AND event_time_ms < ?) AS n
      FROM events WHERE project_id = ? GROUP BY event_type`,
    [nowMs - WEEK_MS, nowMs, projectId],
  )
  const totals = new Map(rows.map((row) => [String(row.event_type), Number(row.n)]))
  const taxonomy = await taxonomyEvents(store, projectId)
  const types = [...new Set([...totals.keys(), ...taxonomy.keys()])].sort()
  const list: EventListEntry[] = []
  for (const type of types) {
    const declared = taxonomy.get(type)
    if (declared !== undefined && flag(declared.data.is_hidden_from_dropdowns)) continue
    const display = declared?.data.display_name
    list.push({
      value: type,
      display: typeof display === 'string' && display !== '' ? display : type,
      totals: totals.get(type) ?? 0,
      non_active:
        INACTIVE_EVENT_TYPES.includes(type) ||
        (declared !== undefined &&
          declared.data.is_active !== undefined &&
          !flag(declared.data.is_active)),
      deleted: declared?.deleted ?? false,
      hidden: false,
      flow_hidden: declared !== undefined && flag(declared.data.is_hidden_from_pathfinder),
    })
  }
  return list
}
