/**
 * @module Interval buckets in a project's time zone, computed the same way in TypeScript (reference
 * evaluators, x-values) and in DuckDB SQL (engines). Labels are Amplitude's x-values: `YYYY-MM-DD` for
 * day, week and month buckets (the bucket's first day); `YYYY-MM-DDTHH:MM:00` for hourly and 5-minute
 * buckets (query-api.md §1.3; the zone-less form is observed for real-time charts).
 */
import type { Interval } from './ir.ts'

const DAY_MS = 86_400_000
const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone)
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(timeZone, formatter)
  }
  return formatter
}

/** True when `timeZone` is an IANA zone this runtime (and DuckDB's ICU) knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone)
    return true
  } catch {
    return false
  }
}

/** The wall-clock time of `ms` in `timeZone`, expressed as if it were UTC (ms). */
export function localWallMs(ms: number, timeZone: string): number {
  if (timeZone === 'UTC') return ms
  const parts: Record<string, number> = {}
  for (const part of formatterFor(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value)
  }
  const wall = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  )
  return wall + (((ms % 1000) + 1000) % 1000)
}

/** The instant (ms) at which the wall clock of `timeZone` shows `wallMs` (first one across a DST gap). */
export function instantOfWall(wallMs: number, timeZone: string): number {
  if (timeZone === 'UTC') return wallMs
  // Two refinements settle every real offset change (offsets move by at most a few hours).
  let guess = wallMs - (localWallMs(wallMs, timeZone) - wallMs)
  guess = wallMs - (localWallMs(guess, timeZone) - guess)
  return guess
}

/** `YYYY-MM-DD` → ms of that date's midnight as if UTC. */
export function dayToWallMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`)
}

function isoWall(wallMs: number): string {
  return new Date(wallMs).toISOString()
}

/** The wall time (as-if-UTC ms) at which the bucket holding wall time `wallMs` starts. */
export function bucketStartWall(wallMs: number, interval: Interval): number {
  switch (interval) {
    case 'minute5':
      return Math.floor(wallMs / 300_000) * 300_000
    case 'hour':
      return Math.floor(wallMs / 3_600_000) * 3_600_000
    case 'day':
      return Math.floor(wallMs / DAY_MS) * DAY_MS
    case 'week': {
      const day = Math.floor(wallMs / DAY_MS) * DAY_MS
      // 1970-01-01 was a Thursday: (weekday + 6) % 7 days back reaches Monday.
      const weekday = new Date(day).getUTCDay()
      return day - ((weekday + 6) % 7) * DAY_MS
    }
    case 'month': {
      const d = new Date(wallMs)
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
    }
  }
}

/** The label of the bucket that starts at wall time `startWallMs`. */
export function labelOfWall(startWallMs: number, interval: Interval): string {
  const iso = isoWall(startWallMs)
  return interval === 'hour' || interval === 'minute5' ? `${iso.slice(0, 16)}:00` : iso.slice(0, 10)
}

/** The bucket label of an event at `ms` (UTC instant). */
export function bucketLabel(ms: number, interval: Interval, timeZone: string): string {
  return labelOfWall(bucketStartWall(localWallMs(ms, timeZone), interval), interval)
}

/** The wall time after the bucket starting at `startWallMs`. */
export function nextBucketWall(startWallMs: number, interval: Interval): number {
  switch (interval) {
    case 'minute5':
      return startWallMs + 300_000
    case 'hour':
      return startWallMs + 3_600_000
    case 'day':
      return startWallMs + DAY_MS
    case 'week':
      return startWallMs + 7 * DAY_MS
    case 'month': {
      const d = new Date(startWallMs)
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
    }
  }
}

/**
 * Every bucket label of the days `startDay..endDay` (inclusive), in order: the x-values of a chart.
 * The first bucket may start before `startDay` (a week or month already under way).
 */
export function bucketLabels(startDay: string, endDay: string, interval: Interval): string[] {
  const labels: string[] = []
  const endWall = dayToWallMs(endDay) + DAY_MS
  for (
    let wall = bucketStartWall(dayToWallMs(startDay), interval);
    wall < endWall;
    wall = nextBucketWall(wall, interval)
  ) {
    labels.push(labelOfWall(wall, interval))
  }
  return labels
}

/** `'…'` SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

/**
 * SQL for the local wall-clock TIMESTAMP of an epoch-ms expression. UTC skips ICU (the common case
 * and the fast one).
 */
export function localTimestampSql(msExpr: string, timeZone: string): string {
  return timeZone === 'UTC'
    ? `epoch_ms(${msExpr})`
    : `timezone(${sqlString(timeZone)}, to_timestamp((${msExpr}) / 1000.0))`
}

/** SQL for the bucket start (a TIMESTAMP, wall clock) of an epoch-ms expression. */
export function bucketStartSql(msExpr: string, interval: Interval, timeZone: string): string {
  const local = localTimestampSql(msExpr, timeZone)
  switch (interval) {
    case 'minute5':
      return `time_bucket(INTERVAL 5 MINUTE, ${local})`
    case 'hour':
      return `date_trunc('hour', ${local})`
    case 'day':
      return `date_trunc('day', ${local})`
    case 'week':
      return `date_trunc('week', ${local})`
    case 'month':
      return `date_trunc('month', ${local})`
  }
}

/** SQL turning a bucket start TIMESTAMP into its label (apply after grouping: it is per group). */
export function bucketLabelSql(bucketExpr: string, interval: Interval): string {
  return interval === 'hour' || interval === 'minute5'
    ? `strftime(${bucketExpr}, '%Y-%m-%dT%H:%M:00')`
    : `strftime(${bucketExpr}, '%Y-%m-%d')`
}
