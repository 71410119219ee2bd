/**
 * @module `ampkit send EVENT_TYPE`: one event through `@ampkit/node`, with the server's verdict.
 * Exits 1 when the event was not delivered.
 */
import { validateEvent } from '@ampkit/protocol'
import { createTargetClient, resolveTarget, TARGET_ARGS } from '../amplitude-target.ts'
import { usageError } from '../cli-error.ts'
import { defineCommand } from '../command.ts'
import { deliverOne, describeDelivery } from '../deliver-one.ts'
import { parseEventTime } from '../import/parse-time.ts'

/** Parses a `--props`-style option: a JSON object. */
export function parseJsonObject(option: string, text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw usageError(
      `${option} must be a JSON object: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw usageError(`${option} must be a JSON object`)
  return value as Record<string, unknown>
}

export const sendCommand = defineCommand({
  meta: {
    name: 'send',
    description: 'Send one event and print its insert_id and the verdict',
    examples: [
      `ampkit send 'Song Played' --user-id user-42 --props '{"songId":"s1"}'`,
      'ampkit send "App Opened" --device-id d-123 --time 2026-11-01T10:00:00Z --insert-id open-1',
    ],
  },
  positionals: { name: 'EVENT_TYPE', description: 'The event type, e.g. "Song Played"', min: 1 },
  args: {
    'user-id': { type: 'string', description: 'user_id of the event', valueHint: 'ID' },
    'device-id': { type: 'string', description: 'device_id of the event', valueHint: 'ID' },
    props: { type: 'string', description: 'event_properties as a JSON object', valueHint: 'JSON' },
    time: {
      type: 'string',
      description: 'Event time: ISO 8601, epoch ms or epoch seconds (default: now)',
      valueHint: 'TIME',
    },
    'insert-id': {
      type: 'string',
      description: 'insert_id for de-duplication (default: a random UUID)',
      valueHint: 'ID',
    },
    ...TARGET_ARGS,
    batch: { type: 'boolean', description: 'Send through the Batch API (/batch)' },
    json: { type: 'boolean', description: 'Print the result as JSON' },
  },
  async run({ args, positionals, out, err, cwd }) {
    if (positionals.length > 1)
      throw usageError(`one event type expected, got ${positionals.length} (quote it)`)
    const eventType = positionals[0] ?? ''
    const userId = args['user-id']
    const deviceId = args['device-id']
    if (userId === undefined && deviceId === undefined)
      throw usageError('--user-id or --device-id is needed')
    const event: Record<string, unknown> = { event_type: eventType }
    if (userId !== undefined) event.user_id = userId
    if (deviceId !== undefined) event.device_id = deviceId
    if (args.props !== undefined) event.event_properties = parseJsonObject('--props', args.props)
    if (args.time !== undefined) {
      const time = parseEventTime(args.time)
      if (time === undefined)
        throw usageError(`--time must be ISO 8601, epoch ms or seconds, got '${args.time}'`)
      event.time = time
    }
    if (args['insert-id'] !== undefined) event.insert_id = args['insert-id']
    const findings = validateEvent(event)
    if (findings.length > 0)
      throw usageError(
        `the event is not valid: ${findings.map((f) => `${f.kind} ${f.field}`).join(', ')}`,
      )
    const target = resolveTarget(args, process.env, cwd, err)
    const client = await createTargetClient(target, { useBatch: args.batch })
    const handle = client.track(event as { event_type: string })
    const report = await deliverOne(client, eventType, handle)
    out(args.json ? JSON.stringify(report) : describeDelivery(report))
    return report.delivered ? 0 : 1
  },
})
