/**
 * @module Taxonomy guard cost (issue 6): the whole taxonomy check of a typical event (an event type and
 * 7 properties) in-process, for clean events (the common case) and events with findings, next to a
 * floor that only walks the same properties. Target: under 2 µs per clean event. Best of 5 runs, as
 * noise on a shared machine only adds time.
 */
import { probeExport } from '../lib/availability.ts'
import { fmt, type Table } from '../lib/table.ts'
import { atMost, type Scenario, type ScenarioOutcome } from './scenario.ts'

type Check = (event: object) => unknown

function makeEvents(count: number, dirty: boolean): object[] {
  const genres = ['rock', 'jazz', 'pop', 'classical', 'hip hop']
  return Array.from({ length: count }, (_, i) => ({
    event_type: dirty ? 'song_played' : i % 2 === 0 ? 'SongPlayed' : 'Song Played',
    user_id: `user-${i % 50}`,
    event_properties: {
      songId: `song-${i}`,
      genre: genres[i % genres.length],
      durationMs: 180_000 + i,
      isPreview: i % 3 === 0,
      source: 'playlist',
      position: i % 20,
      ...(dirty ? { contactEmail: `user${i % 50}@example.com` } : { playlistName: 'Morning mix' }),
    },
  }))
}

/** The floor: visit every property key and value type, as any check must. */
function floor(event: object): number {
  const props = (event as { event_properties: Record<string, unknown> }).event_properties
  let n = 0
  for (const key in props) n += key.length + (typeof props[key]).length
  return n
}

/** Best ns per event over `runs` runs of `rounds` passes over `events`. */
function measure(check: Check, events: readonly object[], rounds: number, runs = 5): number {
  let sink = 0
  for (let r = 0; r < 20; r++) for (const e of events) sink += check(e) === undefined ? 0 : 1
  let best = Number.POSITIVE_INFINITY
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint()
    for (let r = 0; r < rounds; r++) for (const e of events) sink += check(e) === undefined ? 0 : 1
    const ns = Number(process.hrtime.bigint() - start) / (rounds * events.length)
    if (ns < best) best = ns
  }
  if (sink < 0) console.log(sink)
  return best
}

const us = (ns: number | undefined): string =>
  ns === undefined ? '—' : `${(ns / 1000).toFixed(3)} µs`

export const taxonomyScenario: Scenario = {
  name: 'taxonomy',
  title: 'Taxonomy guard: cost per event',
  async unavailable() {
    return probeExport('@ampkit/protocol', 'createTaxonomyChecker')
  },
  async run(context): Promise<ScenarioOutcome> {
    const protocol = await import('@ampkit/protocol')
    const rounds = context.settings.quick ? 100 : 500
    const clean = makeEvents(1000, false)
    const dirty = makeEvents(1000, true)
    const checker = protocol.createTaxonomyChecker()
    const rows: Record<string, number | undefined> = {
      floor: measure(floor, clean, rounds),
      clean: measure((e) => checker.check(e), clean, rounds),
      dirty: measure((e) => checker.check(e), dirty, Math.ceil(rounds / 2)),
    }
    if ((await probeExport('@ampkit/node', 'createTaxonomyGuard')) === undefined) {
      const node = await import('@ampkit/node')
      const guard = node.createTaxonomyGuard({ mode: 'warn' }, () => undefined, {})
      rows.guard = measure((e) => guard.check(e), clean, rounds)
    }
    const table: Table = {
      title: 'Taxonomy check per event (event type + 7 properties), best of 5',
      columns: ['case', 'per event', 'vs floor'],
      rows: [
        ['floor: walk the properties', us(rows.floor), '1.00x'],
        ['checker, clean event', us(rows.clean), fmt.ratio((rows.clean ?? 0) / (rows.floor ?? 1))],
        [
          'checker, 2 findings (naming, email)',
          us(rows.dirty),
          fmt.ratio((rows.dirty ?? 0) / (rows.floor ?? 1)),
        ],
        [
          '@ampkit/node guard (warn), clean event',
          us(rows.guard),
          rows.guard === undefined ? '—' : fmt.ratio(rows.guard / (rows.floor ?? 1)),
        ],
      ],
      notes: ['in-process, 1,000 distinct events per pass; cardinality counting on (default)'],
    }
    return {
      tables: [table],
      targets: [atMost('taxonomy/clean event', 6, rows.clean, 2_000, us)],
      raw: rows,
    }
  },
}
