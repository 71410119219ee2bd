/**
 * Micro-benchmark of the taxonomy checker (not a test): `node --import tsx --conditions ampkit-source
 * packages/protocol/test/taxonomy/bench-checker.ts` (`npm run bench -- taxonomy` measures the built
 * packages). Prints the cost per typical event (an event
 * type and 5–8 properties) for clean events, and for events with findings.
 */
import { createTaxonomyChecker } from '@ampkit/protocol'

const checker = createTaxonomyChecker()
const genres = ['rock', 'jazz', 'pop', 'classical', 'hip hop']
const clean = Array.from({ length: 1000 }, (_, i) => ({
  event_type: i % 2 === 0 ? 'SongPlayed' : 'Song Played',
  user_id: `user-${i % 50}`,
  event_properties: {
    songId: `song-${i}`,
    genre: genres[i % genres.length],
    durationMs: 180_000 + i,
    isPreview: i % 3 === 0,
    source: 'playlist',
    position: i % 20,
    playlistName: 'Morning mix',
  },
}))
const dirty = clean.map((event, i) => ({
  ...event,
  event_type: 'song_played',
  event_properties: { ...event.event_properties, contactEmail: `user${i % 50}@example.com` },
}))

function measure(label: string, events: readonly object[], rounds: number): void {
  let findings = 0
  for (let r = 0; r < 50; r++) for (const event of events) findings += checker.check(event).length
  const start = process.hrtime.bigint()
  for (let r = 0; r < rounds; r++)
    for (const event of events) findings += checker.check(event).length
  const ns = Number(process.hrtime.bigint() - start) / (rounds * events.length)
  console.log(`${label}: ${(ns / 1000).toFixed(3)} µs/event (${findings} findings in total)`)
}

measure('clean event, 7 properties', clean, 500)
measure('event with 2 findings (naming, email)', dirty, 200)
