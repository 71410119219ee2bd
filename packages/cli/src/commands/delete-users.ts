/**
 * @module `ampkit delete-users`: the User Privacy API (query-api.md §5.2). `request` schedules the
 * deletion of users by user id or Amplitude id (ids as arguments or from a file; split into requests
 * of 100 ids, one per second, as Amplitude allows), `list` shows the scheduled jobs of a day range,
 * `cancel` withdraws one user's deletion before it runs. Deleting is irreversible, so `request` asks
 * for `--yes`.
 */
import type { DeletionJob } from '@ampkit/protocol'
import { usageError } from '../cli-error.ts'
import { defineCommand } from '../command.ts'
import { readIdList } from '../id-list.ts'
import { numberCell, textTable } from '../output/text-table.ts'
import { createQueryClient, QUERY_TARGET_ARGS } from '../query-target.ts'

const DAY = /^\d{4}-\d{2}-\d{2}$/

function jobRows(jobs: readonly DeletionJob[]): string[][] {
  return jobs.flatMap((job) =>
    job.amplitude_ids.map((entry) => [
      job.day,
      job.status,
      String(entry.amplitude_id),
      entry.requester ?? '',
      entry.requested_on_day,
    ]),
  )
}

export const deleteUsersCommand = defineCommand({
  meta: {
    name: 'delete-users',
    description: 'Schedule, list and cancel user deletions (User Privacy API)',
    examples: [
      'ampkit delete-users request user-42 user-43 --requester dpo@example.com --yes',
      'ampkit delete-users request --ids-file ids.txt --by amplitude --requester dpo@example.com --yes',
      'ampkit delete-users list --start-day 2024-07-01 --end-day 2024-07-31',
      'ampkit delete-users cancel 100000000001 --day 2024-07-14',
    ],
  },
  positionals: {
    name: 'request [ID…] | list | cancel AMPLITUDE_ID',
    description: 'What to do',
    min: 1,
  },
  args: {
    by: {
      type: 'string',
      description: 'request: the ids are user ids (user, default) or Amplitude ids (amplitude)',
      valueHint: 'KIND',
    },
    'ids-file': {
      type: 'string',
      description: 'request: more ids, one per line (- for standard input)',
      valueHint: 'FILE',
    },
    requester: {
      type: 'string',
      description: 'request: who asks (an email), kept with the job',
      valueHint: 'EMAIL',
    },
    'ignore-invalid': {
      type: 'boolean',
      description: 'request: schedule the known ids and report unknown ones (default: refuse all)',
    },
    yes: { type: 'boolean', description: 'request: confirm (deletions cannot be undone once run)' },
    'start-day': { type: 'string', description: 'list: first day YYYY-MM-DD', valueHint: 'DAY' },
    'end-day': { type: 'string', description: 'list: last day YYYY-MM-DD', valueHint: 'DAY' },
    day: {
      type: 'string',
      description: 'cancel: the day the deletion was requested on',
      valueHint: 'DAY',
    },
    json: { type: 'boolean', description: 'Print the API answer as JSON' },
    ...QUERY_TARGET_ARGS,
  },
  async run({ args, positionals, out, err, cwd, signal }) {
    const [action, ...rest] = positionals
    const api = createQueryClient(args, process.env, cwd, err)
    if (action === 'request') {
      const ids = [
        ...rest,
        ...(args['ids-file'] === undefined ? [] : await readIdList(args['ids-file'], cwd)),
      ]
      if (ids.length === 0)
        throw usageError('delete-users request needs ids (arguments or --ids-file)')
      const by = args.by ?? 'user'
      if (by !== 'user' && by !== 'amplitude')
        throw usageError(`--by takes user or amplitude, got '${by}'`)
      if (by === 'amplitude') {
        const bad = ids.find((id) => !/^\d+$/.test(id))
        if (bad !== undefined)
          throw usageError(`--by amplitude takes numeric Amplitude ids, got '${bad}'`)
      }
      if (!args.yes)
        throw usageError(
          `this schedules the deletion of ${ids.length} users and cannot be undone once run: add --yes`,
        )
      const jobs = await api.requestDeletions({
        ...(by === 'user' ? { userIds: ids } : { amplitudeIds: ids }),
        ...(args.requester !== undefined && { requester: args.requester }),
        ignoreInvalidId: args['ignore-invalid'],
        signal,
      })
      if (args.json) {
        out(JSON.stringify(jobs))
        return 0
      }
      const scheduled = jobs.reduce((n, job) => n + job.amplitude_ids.length, 0)
      const invalid = jobs.flatMap((job) => job.invalid_ids ?? [])
      out(
        `scheduled ${numberCell(scheduled)} deletions${invalid.length > 0 ? `; unknown ids: ${invalid.join(', ')}` : ''}`,
      )
      for (const line of textTable(
        ['day', 'status', 'amplitude_id', 'requester', 'requested on'],
        jobRows(jobs),
      ))
        out(line)
      return 0
    }
    if (action === 'list') {
      if (rest.length > 0) throw usageError(`unexpected argument '${rest[0]}'`)
      const startDay = args['start-day']
      const endDay = args['end-day'] ?? startDay
      if (
        startDay === undefined ||
        !DAY.test(startDay) ||
        endDay === undefined ||
        !DAY.test(endDay)
      )
        throw usageError(
          'delete-users list needs --start-day YYYY-MM-DD (and optionally --end-day)',
        )
      const jobs = await api.listDeletions({ startDay, endDay, signal })
      if (args.json) out(JSON.stringify(jobs))
      else if (jobs.length === 0) out('no deletion jobs')
      else
        for (const line of textTable(
          ['day', 'status', 'amplitude_id', 'requester', 'requested on'],
          jobRows(jobs),
        ))
          out(line)
      return 0
    }
    if (action === 'cancel') {
      const [amplitudeId, ...extra] = rest
      if (amplitudeId === undefined || !/^\d+$/.test(amplitudeId) || extra.length > 0)
        throw usageError('delete-users cancel takes one Amplitude id')
      if (args.day === undefined || !DAY.test(args.day))
        throw usageError('delete-users cancel needs --day YYYY-MM-DD (the day it was requested on)')
      const result = await api.cancelDeletion(amplitudeId, args.day, signal)
      if (args.json) out(JSON.stringify(result))
      else
        out(
          `cancelled the deletion of ${result.amplitude_id} requested on ${result.requested_on_day}`,
        )
      return 0
    }
    throw usageError(`delete-users takes request, list or cancel, got '${action}'`)
  },
})
