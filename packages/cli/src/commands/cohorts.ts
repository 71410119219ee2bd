/**
 * @module `ampkit cohorts list|download|upload`: the Behavioral Cohorts API (query-api.md §4). A
 * download runs the real three-step flow (request, poll with backoff, fetch the file) and writes the
 * members as CSV (Amplitude's file, tab prefixes removed), NDJSON or bare ids, streaming. An upload
 * reads ids from a file or standard input, one per line.
 */
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { resolve } from 'node:path'
import type { Writable } from 'node:stream'
import { usageError } from '../cli-error.ts'
import { defineCommand } from '../command.ts'
import { readIdList } from '../id-list.ts'
import { csvLine } from '../output/csv-text.ts'
import { numberCell, textTable } from '../output/text-table.ts'
import { createQueryClient, QUERY_TARGET_ARGS } from '../query-target.ts'

const FORMATS = ['csv', 'ndjson', 'ids'] as const

async function put(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain')
}

export const cohortsCommand = defineCommand({
  meta: {
    name: 'cohorts',
    description: 'List, download and upload behavioral cohorts',
    examples: [
      'ampkit cohorts list',
      'ampkit cohorts download 5mjbq8w --out members.csv --props',
      'ampkit cohorts upload --name "Beta testers" --ids-file ids.txt --id-type user --owner me@example.com',
    ],
  },
  positionals: { name: 'list | download ID | upload', description: 'What to do', min: 1 },
  args: {
    out: {
      type: 'string',
      description: 'download: output file (default: standard output)',
      valueHint: 'FILE',
      short: 'o',
    },
    format: {
      type: 'string',
      description: 'download: csv, ndjson or ids (default: csv)',
      valueHint: 'FORMAT',
    },
    props: { type: 'boolean', description: 'download: include user properties' },
    'prop-key': {
      type: 'strings',
      description: 'download: only these user properties (repeatable; implies --props)',
      valueHint: 'KEY',
    },
    name: { type: 'string', description: 'upload: cohort name', valueHint: 'NAME' },
    'ids-file': {
      type: 'string',
      description: 'upload: file of ids, one per line (- for standard input)',
      valueHint: 'FILE',
    },
    'id-type': {
      type: 'string',
      description: 'upload: user (user ids) or amplitude (Amplitude ids) (default: user)',
      valueHint: 'TYPE',
    },
    owner: { type: 'string', description: 'upload: owner login email', valueHint: 'EMAIL' },
    published: { type: 'boolean', description: 'upload: publish the cohort' },
    replace: {
      type: 'string',
      description: 'upload: replace the members of this existing cohort',
      valueHint: 'ID',
    },
    'project-id': {
      type: 'string',
      description:
        'upload: numeric project id (default: $AMPLITUDE_PROJECT_ID, else read from the project’s cohorts)',
      valueHint: 'N',
    },
    strict: {
      type: 'boolean',
      description: 'upload: fail on any unknown id instead of skipping it',
    },
    json: { type: 'boolean', description: 'Print the API answer as JSON' },
    quiet: { type: 'boolean', description: 'No progress on stderr', short: 'q' },
    ...QUERY_TARGET_ARGS,
  },
  async run({ args, positionals, out, err, cwd, signal, stdout }) {
    const [action, id, ...extra] = positionals
    if (extra.length > 0) throw usageError(`unexpected argument '${extra[0]}'`)
    const api = createQueryClient(args, process.env, cwd, err)
    if (action === 'list') {
      const cohorts = await api.listCohorts({ signal })
      if (args.json) out(JSON.stringify(cohorts))
      else if (cohorts.length === 0) out('no cohorts')
      else
        for (const line of textTable(
          ['id', 'name', 'size', 'type', 'last computed (UTC)'],
          cohorts.map((c) => [
            c.id,
            c.name,
            numberCell(c.size),
            String(c.type ?? ''),
            c.lastComputed ? new Date(c.lastComputed * 1000).toISOString().slice(0, 19) : '',
          ]),
        ))
          out(line)
      return 0
    }
    if (action === 'download') {
      if (id === undefined) throw usageError('cohorts download needs a cohort id')
      const format = args.format ?? 'csv'
      if (!(FORMATS as readonly string[]).includes(format))
        throw usageError(`--format takes ${FORMATS.join(', ')}, got '${format}'`)
      const propKeys = args['prop-key']
      const withProps = args.props || propKeys.length > 0
      const file = args.out === undefined ? undefined : createWriteStream(resolve(cwd, args.out))
      const sink: Writable = file ?? stdout
      let members = 0
      let header: string[] | undefined
      try {
        for await (const member of api.downloadCohort(id, {
          props: withProps,
          ...(propKeys.length > 0 && { propKeys }),
          signal,
          onStatus: (status) => {
            if (!args.quiet) err(`cohorts: job ${status.request_id} ${status.async_status}`)
          },
        })) {
          members++
          if (format === 'ids') {
            await put(sink, `${member.userId ?? member.amplitudeId ?? member.groupValue ?? ''}\n`)
          } else if (format === 'ndjson') {
            await put(sink, `${JSON.stringify(member)}\n`)
          } else {
            const properties = member.properties ?? {}
            if (header === undefined) {
              header = Object.keys(properties)
              await put(
                sink,
                `${csvLine(['amplitude_id', 'user_id', 'device_ids', ...header])}\r\n`,
              )
            }
            await put(
              sink,
              `${csvLine([member.amplitudeId, member.userId, member.deviceIds.join(' '), ...header.map((k) => properties[k])])}\r\n`,
            )
          }
        }
      } finally {
        if (file !== undefined) {
          file.end()
          await once(file, 'close')
        }
      }
      if (!args.quiet) err(`cohorts: ${numberCell(members)} members of ${id}`)
      return 0
    }
    if (action === 'upload') {
      if (id !== undefined) throw usageError(`unexpected argument '${id}'`)
      if (args.name === undefined) throw usageError('cohorts upload needs --name')
      if (args['ids-file'] === undefined)
        throw usageError('cohorts upload needs --ids-file FILE (or -)')
      if (args.owner === undefined) throw usageError('cohorts upload needs --owner EMAIL')
      const idType = args['id-type'] ?? 'user'
      if (idType !== 'user' && idType !== 'amplitude')
        throw usageError(`--id-type takes user or amplitude, got '${idType}'`)
      const ids = await readIdList(args['ids-file'], cwd)
      if (ids.length === 0) throw usageError(`${args['ids-file']} holds no ids`)
      const projectId = await projectIdOf(api, args['project-id'])
      const result = await api.uploadCohort(
        {
          name: args.name,
          app_id: projectId,
          id_type: idType === 'user' ? 'BY_USER_ID' : 'BY_AMP_ID',
          ids,
          owner: args.owner,
          published: args.published,
          skip_invalid_ids: !args.strict,
          ...(args.replace !== undefined && { existing_cohort_id: args.replace }),
        },
        signal,
      )
      if (args.json) out(JSON.stringify(result))
      else
        out(
          `cohort ${result.cohortId}: ${numberCell(result.metadata.matched)} of ${numberCell(ids.length)} ids matched` +
            (result.metadata.invalid_ids_sample.length > 0
              ? ` (unknown, e.g. ${result.metadata.invalid_ids_sample.slice(0, 3).join(', ')})`
              : ''),
        )
      return 0
    }
    throw usageError(`cohorts takes list, download or upload, got '${action}'`)
  },
})

/**
 * The numeric project id an upload must name (`app_id`): the option, the environment, or the
 * `appId` of one of the project's cohorts (the keys select the project, but no API returns its id).
 */
async function projectIdOf(
  api: ReturnType<typeof createQueryClient>,
  option: string | undefined,
): Promise<number> {
  const named = option ?? process.env.AMPLITUDE_PROJECT_ID
  if (named !== undefined && named !== '') {
    const id = Number(named)
    if (!Number.isSafeInteger(id) || id < 1)
      throw usageError(`--project-id takes a positive integer, got '${named}'`)
    return id
  }
  const cohorts = await api.listCohorts()
  const appId = cohorts[0]?.appId
  if (typeof appId === 'number') return appId
  throw usageError('--project-id N is needed: the upload names the numeric project id')
}
