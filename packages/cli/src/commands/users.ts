/**
 * @module `ampkit users search QUERY` and `ampkit users activity USER`: the User Search and User
 * Activity APIs (query-api.md §3.7–3.8) as tables, or the API's JSON with `--json`.
 */
import { usageError } from '../cli-error.ts'
import { defineCommand } from '../command.ts'
import { numberCell, textTable } from '../output/text-table.ts'
import { createQueryClient, QUERY_TARGET_ARGS } from '../query-target.ts'

const text = (value: unknown) => (value === null || value === undefined ? '' : String(value))

export const usersCommand = defineCommand({
  meta: {
    name: 'users',
    description: 'Look users up: search by id or prefix, or list a user’s activity',
    examples: [
      'ampkit users search user-42',
      'ampkit users activity 100000000001 --limit 20',
      'ampkit users activity user-42 --json',
    ],
  },
  positionals: {
    name: 'search QUERY | activity USER',
    description: 'USER: an Amplitude id, or a user/device id (looked up first)',
    min: 2,
  },
  args: {
    limit: {
      type: 'string',
      description: 'activity: events to list, at most 1000 (default: 50)',
      valueHint: 'N',
    },
    offset: {
      type: 'string',
      description: 'activity: events to skip (default: 0)',
      valueHint: 'N',
    },
    earliest: { type: 'boolean', description: 'activity: oldest events first' },
    json: { type: 'boolean', description: 'Print the API answer as JSON' },
    ...QUERY_TARGET_ARGS,
  },
  async run({ args, positionals, out, err, cwd }) {
    const [action, query, ...extra] = positionals
    if (extra.length > 0) throw usageError(`unexpected argument '${extra[0]}'`)
    if (action !== 'search' && action !== 'activity')
      throw usageError(`users takes search or activity, got '${action}'`)
    const api = createQueryClient(args, process.env, cwd, err)
    if (action === 'search') {
      const result = await api.userSearch(query as string)
      if (args.json) out(JSON.stringify(result))
      else if (result.matches.length === 0) out(`no user matches '${query}'`)
      else {
        for (const line of textTable(
          ['amplitude_id', 'user_id', 'last_device_id', 'country', 'last_seen'],
          result.matches.map((m) => [
            text(m.amplitude_id),
            text(m.user_id),
            text(m.last_device_id),
            text(m.country),
            text(m.last_seen),
          ]),
        ))
          out(line)
      }
      return 0
    }
    const limit = Number(args.limit ?? '50')
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw usageError(`--limit takes 1 to 1000, got '${args.limit}'`)
    const offset = Number(args.offset ?? '0')
    if (!Number.isInteger(offset) || offset < 0)
      throw usageError(`--offset takes a non-negative integer, got '${args.offset}'`)
    let user: string | number = query as string
    if (!/^\d+$/.test(user)) {
      // Not an Amplitude id: resolve a user or device id through User Search first.
      const found = await api.userSearch(user)
      const match = found.matches.find((m) => m.user_id === user) ?? found.matches[0]
      if (match === undefined) throw usageError(`no user matches '${query}'`)
      user = match.amplitude_id
    }
    const activity = await api.userActivity({
      user,
      limit,
      offset,
      direction: args.earliest ? 'earliest' : 'latest',
    })
    if (args.json) {
      out(JSON.stringify(activity))
      return 0
    }
    const u = activity.userData
    out(
      `user ${text(u.user_id) || '(anonymous)'} · amplitude_id ${u.canonical_amplitude_id} · ` +
        `${numberCell(u.num_events)} events · ${numberCell(u.num_sessions)} sessions · ` +
        `first ${text(u.first_used)} · last ${text(u.last_used)}`,
    )
    const properties = (u as { properties?: Record<string, unknown> }).properties ?? {}
    if (Object.keys(properties).length > 0) out(`properties ${JSON.stringify(properties)}`)
    for (const line of textTable(
      ['event_time', 'event_type', 'session_id', 'event_properties'],
      activity.events.map((e) => [
        text(e.event_time),
        text(e.event_type),
        text(e.session_id),
        JSON.stringify(e.event_properties ?? {}),
      ]),
    ))
      out(line)
    return 0
  },
})
