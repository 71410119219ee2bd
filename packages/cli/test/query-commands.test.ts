import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalTarget, project, startLocalTarget } from './helpers/local-target.ts'

let target: LocalTarget
const DAY_MS = 86_400_000
const START = Date.UTC(2024, 6, 1)
// The server's clock: 10 days after the data, so every retention cell is complete.
const nowMs = START + 20 * DAY_MS

beforeAll(async () => {
  // Deletions wait an hour (as `staging`), so the test can cancel one.
  target = await startLocalTarget({ now: () => nowMs, deletions: { deletionDelayMs: 3_600_000 } })
  // user-a: Search → View → Buy on day 0, back on day 1. user-b: Search → View on day 0.
  // user-c: Search on day 1 only.
  const at = (day: number, minute: number) => START + day * DAY_MS + minute * 60_000
  const e = (user: string, type: string, day: number, minute: number) => ({
    event_type: type,
    user_id: user,
    time: at(day, minute),
    insert_id: `${user}-${type}-${day}-${minute}`,
    event_properties: { plan: 'pro' },
  })
  await target.batch([
    e('user-a', 'Search', 0, 1),
    e('user-a', 'View', 0, 2),
    e('user-a', 'Buy', 0, 3),
    e('user-b', 'Search', 0, 5),
    e('user-b', 'View', 0, 6),
    e('user-a', 'Search', 1, 10),
    e('user-c', 'Search', 1, 20),
    // A day of its own (outside `range`): a conversion within the same second.
    e('user-d', 'Tap', 2, 0),
    e('user-d', 'Pay', 2, 0),
  ])
})

afterAll(async () => {
  await target.close()
})

const range = ['--start', '2024-07-01', '--end', '2024-07-02']

describe('ampkit query', () => {
  it('prints daily uniques as a table with a sparkline, and the API answer with --json', async () => {
    const table = await target.cli([
      'query',
      'segmentation',
      '--event',
      'Search',
      ...range,
      ...target.queryTarget(),
    ])
    expect(table.err).toBe('')
    expect(table.code).toBe(0)
    // Day 1: a and b searched (2); day 2: a and c (2).
    expect(table.out.split('\n').slice(0, 4)).toEqual([
      'date        Search',
      '----------  ------',
      '2024-07-01       2',
      '2024-07-02       2',
    ])
    const json = await target.cli([
      'query',
      'segmentation',
      '--event',
      'Search',
      '--metric',
      'totals',
      ...range,
      '--json',
      ...target.queryTarget(),
    ])
    const answer = JSON.parse(json.out)
    expect(answer.data.xValues).toEqual(['2024-07-01', '2024-07-02'])
    expect(answer.data.series[0]).toEqual([2, 2])
  })

  it('prints a funnel step table: 3 entered, 2 viewed, 1 bought', async () => {
    const result = await target.cli([
      'query',
      'funnel',
      '--step',
      'Search',
      '--step',
      'View',
      '--step',
      'Buy',
      '--window',
      '1d',
      ...range,
      '--format',
      'csv',
      ...target.queryTarget(),
    ])
    expect(result.err).toBe('')
    const rows = result.out
      .trim()
      .split('\n')
      .map((l) => l.split(','))
    expect(rows[0]).toEqual([
      'series',
      'step',
      'event',
      'users',
      'cumulative',
      'step_by_step',
      'median_ms',
      'avg_ms',
    ])
    expect(rows.slice(1).map((r) => [r[2], r[3]])).toEqual([
      ['Search', '3'],
      ['View', '2'],
      ['Buy', '1'],
    ])
  })

  it('prints transition times in the funnel table, 0.0s for a same-second conversion', async () => {
    const funnel = (steps: string[], day: string) =>
      target.cli([
        'query',
        'funnel',
        ...steps.flatMap((step) => ['--step', step]),
        '--start',
        day,
        '--end',
        day,
        ...target.queryTarget(),
      ])
    const rows = (out: string) =>
      out
        .trim()
        .split('\n')
        .slice(2)
        .map((line) => line.trim().split(/\s{2,}/))
    // user-a and user-b each viewed one minute after searching: 60 s; the first step has no time.
    expect(rows((await funnel(['Search', 'View'], '2024-07-01')).out)).toEqual([
      ['1', 'Search', '2', '100.0%', '100.0%'],
      ['2', 'View', '2', '100.0%', '100.0%', '60.0s', '60.0s'],
    ])
    expect(rows((await funnel(['Tap', 'Pay'], '2024-07-03')).out)[1]).toEqual([
      '2',
      'Pay',
      '1',
      '100.0%',
      '100.0%',
      '0.0s',
      '0.0s',
    ])
  })

  it('prints retention per cohort day and the users series', async () => {
    const retention = await target.cli([
      'query',
      'retention',
      '--start-event',
      'Search',
      '--return-event',
      '_active',
      ...range,
      '--json',
      ...target.queryTarget(),
    ])
    expect(retention.err).toBe('')
    const data = JSON.parse(retention.out).data
    expect(data.series).toHaveLength(1)
    const table = await target.cli([
      'query',
      'retention',
      '--start-event',
      'Search',
      '--return-event',
      '_active',
      ...range,
      ...target.queryTarget(),
    ])
    expect(table.code).toBe(0)
    expect(table.out).toMatch(/^cohort\s+users\s+day 0/)
    const users = await target.cli([
      'query',
      'users',
      ...range,
      '--format',
      'csv',
      ...target.queryTarget(),
    ])
    expect(users.out.trim().split('\n')).toEqual([
      'date,active users',
      '2024-07-01,2',
      '2024-07-02,2',
    ])
  })

  it('refuses bad options as usage errors', async () => {
    const bad = await target.cli([
      'query',
      'funnel',
      '--step',
      'Search',
      ...range,
      ...target.queryTarget(),
    ])
    expect(bad).toMatchObject({ code: 2, err: 'ampkit query: funnel needs at least two --step\n' })
    const server = await target.cli([
      'query',
      'segmentation',
      '--event',
      'Search',
      '--start',
      '2024-07-02',
      '--end',
      '2024-07-01',
      ...target.queryTarget(),
    ])
    expect(server.code).toBe(1)
    expect(server.err.trim().split('\n')).toHaveLength(1)
  })
})

describe('ampkit users, cohorts and delete-users', () => {
  it('searches a user and lists its activity', async () => {
    const search = await target.cli([
      'users',
      'search',
      'user-a',
      '--json',
      ...target.queryTarget(),
    ])
    expect(search.err).toBe('')
    const match = JSON.parse(search.out).matches[0]
    expect(match.user_id).toBe('user-a')
    const activity = await target.cli(['users', 'activity', 'user-a', ...target.queryTarget()])
    expect(activity.code).toBe(0)
    expect(activity.out).toMatch(/^user user-a · amplitude_id \d+ · 4 events/)
    expect(activity.out).toContain('Buy')
  })

  it('uploads a static cohort, lists it and downloads its members', async () => {
    const ids = join(target.dir, 'ids.txt')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(ids, 'user-a\nuser-b\nnobody-here\n')
    const upload = await target.cli([
      'cohorts',
      'upload',
      '--name',
      'Searchers',
      '--ids-file',
      ids,
      '--owner',
      'me@example.com',
      '--project-id',
      String(project.id),
      ...target.queryTarget(),
    ])
    expect(upload.err).toBe('')
    expect(upload.out).toMatch(/^cohort (\S+): 2 of 3 ids matched/)
    const cohortId = /^cohort (\S+):/.exec(upload.out)?.[1] as string
    const list = await target.cli(['cohorts', 'list', '--json', ...target.queryTarget()])
    expect(JSON.parse(list.out).map((c: { id: string }) => c.id)).toContain(cohortId)
    const download = await target.cli([
      'cohorts',
      'download',
      cohortId,
      '--out',
      'members.csv',
      '--quiet',
      ...target.queryTarget(),
    ])
    expect(download.err).toBe('')
    expect(download.code).toBe(0)
    const lines = readFileSync(join(target.dir, 'members.csv'), 'utf8').trim().split('\r\n')
    expect(lines[0]).toBe('amplitude_id,user_id,device_ids')
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[1])
        .sort(),
    ).toEqual(['user-a', 'user-b'])
  })

  it('asks for --yes, then schedules, lists and cancels a deletion', async () => {
    const unconfirmed = await target.cli([
      'delete-users',
      'request',
      'user-c',
      ...target.queryTarget(),
    ])
    expect(unconfirmed.code).toBe(2)
    expect(unconfirmed.err).toMatch(/add --yes/)
    const request = await target.cli([
      'delete-users',
      'request',
      'user-c',
      '--requester',
      'dpo@example.com',
      '--yes',
      '--json',
      ...target.queryTarget(),
    ])
    expect(request.err).toBe('')
    const jobs = JSON.parse(request.out)
    const entry = jobs[0].amplitude_ids[0]
    const day = entry.requested_on_day as string
    const list = await target.cli([
      'delete-users',
      'list',
      '--start-day',
      jobs[0].day,
      ...target.queryTarget(),
    ])
    expect(list.out).toContain(String(entry.amplitude_id))
    const cancel = await target.cli([
      'delete-users',
      'cancel',
      String(entry.amplitude_id),
      '--day',
      day,
      ...target.queryTarget(),
    ])
    expect(cancel.err).toBe('')
    expect(cancel.out).toBe(`cancelled the deletion of ${entry.amplitude_id} requested on ${day}\n`)
  })
})
