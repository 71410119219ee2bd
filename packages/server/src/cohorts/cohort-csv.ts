/**
 * @module The cohort download file (query-api.md §4.2): CSV per RFC 4180 with a header row, CRLF
 * line ends, and Amplitude's spreadsheet guard: every string cell and every header starts with a tab
 * (`"\tuser_id"`), which Amplitude's SDK strips. Numbers and booleans are written bare. With
 * `props=1`, one column per user property follows (column naming is unconfirmed: the property name,
 * tab-prefixed like every header).
 */
import { COHORT_CSV_CELL_PREFIX } from '@ampkit/protocol'

/** One member row of the file. */
export interface CohortFileMember {
  amplitudeId: number
  userId: string | null
  deviceIds: readonly string[]
  /** Current user properties (only read when the file has property columns). */
  properties: Readonly<Record<string, unknown>>
}

/** RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled. */
function quote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value)
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return quote(`${COHORT_CSV_CELL_PREFIX}${text}`)
}

/**
 * The property columns: `propKeys` in their order when given, else every key the members carry
 * (`carried`, in any order), sorted. `gp:` prefixes in `propKeys` are dropped (properties are
 * stored without them).
 */
export function propertyColumns(
  carried: Iterable<string>,
  propKeys: readonly string[] | undefined,
): string[] {
  if (propKeys !== undefined && propKeys.length > 0) {
    return [...new Set(propKeys.map((k) => (k.startsWith('gp:') ? k.slice(3) : k)))]
  }
  return [...new Set(carried)].sort()
}

/** The header line (with its CRLF). `propertyKeys` empty: the three id columns only. */
export function cohortCsvHeader(propertyKeys: readonly string[]): string {
  return `${['amplitude_id', 'user_id', 'device_ids', ...propertyKeys].map(cell).join(',')}\r\n`
}

/** The lines of some members (each with its CRLF), under `cohortCsvHeader(propertyKeys)`. */
export function cohortCsvRows(
  members: readonly CohortFileMember[],
  propertyKeys: readonly string[],
): string {
  let text = ''
  for (const member of members) {
    const row = [
      cell(member.amplitudeId),
      cell(member.userId),
      cell(member.deviceIds.join(' ')),
      ...propertyKeys.map((key) =>
        cell(Object.hasOwn(member.properties, key) ? member.properties[key] : null),
      ),
    ]
    text += `${row.join(',')}\r\n`
  }
  return text
}

/** The whole file's text (small files, tests). */
export function cohortCsv(
  members: readonly CohortFileMember[],
  propertyKeys: readonly string[],
): string {
  return cohortCsvHeader(propertyKeys) + cohortCsvRows(members, propertyKeys)
}

/** One member row of a group cohort's file. */
export interface CohortFileGroupMember {
  groupValue: string
  /** Current group properties (only read when the file has property columns). */
  properties: Readonly<Record<string, unknown>>
}

/**
 * The header line of a group cohort's file: `group_value` (§4.2), tab-prefixed like every header,
 * then the group property columns.
 */
export function cohortGroupCsvHeader(propertyKeys: readonly string[]): string {
  return `${['group_value', ...propertyKeys].map(cell).join(',')}\r\n`
}

/** The lines of some group members (each with its CRLF), under `cohortGroupCsvHeader`. */
export function cohortGroupCsvRows(
  members: readonly CohortFileGroupMember[],
  propertyKeys: readonly string[],
): string {
  let text = ''
  for (const member of members) {
    const row = [
      cell(member.groupValue),
      ...propertyKeys.map((key) =>
        cell(Object.hasOwn(member.properties, key) ? member.properties[key] : null),
      ),
    ]
    text += `${row.join(',')}\r\n`
  }
  return text
}
