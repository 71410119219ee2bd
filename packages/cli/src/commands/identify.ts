/**
 * @module `ampkit identify --user-id U --set k=v …`: one `$identify` through `@ampkit/node` with
 * the user-property operations given as flags or as a JSON object of operations. Exits 1 when it was
 * not delivered.
 */
import { Identify, identifyFromOperations, type Types } from '@ampkit/node'
import { createTargetClient, resolveTarget, TARGET_ARGS } from '../amplitude-target.ts'
import { usageError } from '../cli-error.ts'
import { defineCommand } from '../command.ts'
import { deliverOne, describeDelivery } from '../deliver-one.ts'
import { parseJsonObject } from './send.ts'

type Value = Types.ValidPropertyType

/** `k=v`: `v` as JSON when it parses (`42`, `true`, `["a"]`), else as the string it is. */
function keyValue(option: string, text: string): [string, Value] {
  const at = text.indexOf('=')
  if (at <= 0) throw usageError(`${option} takes KEY=VALUE, got '${text}'`)
  const raw = text.slice(at + 1)
  let value: Value = raw
  try {
    const parsed: unknown = JSON.parse(raw)
    if (parsed !== null) value = parsed as Value
  } catch {
    // Not JSON: the plain string (`--set plan=pro`).
  }
  return [text.slice(0, at), value]
}

export const identifyCommand = defineCommand({
  meta: {
    name: 'identify',
    description: 'Set, add or unset user properties of one user (an $identify)',
    examples: [
      'ampkit identify --user-id user-42 --set plan=pro --set-once firstSeen=2026-11-01 --add logins=1',
      `ampkit identify --user-id user-42 --props '{"$set":{"plan":"pro"},"$unset":{"trial":"-"}}'`,
    ],
  },
  args: {
    'user-id': { type: 'string', description: 'user_id to identify', valueHint: 'ID' },
    'device-id': {
      type: 'string',
      description: 'device_id (with or instead of --user-id)',
      valueHint: 'ID',
    },
    set: {
      type: 'strings',
      description: '$set KEY=VALUE (VALUE as JSON if it parses)',
      valueHint: 'K=V',
    },
    'set-once': { type: 'strings', description: '$setOnce KEY=VALUE', valueHint: 'K=V' },
    add: { type: 'strings', description: '$add KEY=NUMBER', valueHint: 'K=N' },
    unset: { type: 'strings', description: '$unset KEY', valueHint: 'KEY' },
    props: {
      type: 'string',
      description: 'Operations as JSON, e.g. {"$set":{"plan":"pro"}} (applied before the flags)',
      valueHint: 'JSON',
    },
    ...TARGET_ARGS,
    batch: { type: 'boolean', description: 'Send through the Batch API (/batch)' },
    json: { type: 'boolean', description: 'Print the result as JSON' },
  },
  async run({ args, out, err, cwd }) {
    const userId = args['user-id']
    const deviceId = args['device-id']
    if (userId === undefined && deviceId === undefined)
      throw usageError('--user-id or --device-id is needed')
    let identify = new Identify()
    if (args.props !== undefined) {
      const built = identifyFromOperations(parseJsonObject('--props', args.props))
      if (built.problems.length > 0) throw usageError(`--props: ${built.problems.join('; ')}`)
      identify = built.identify ?? identify
    }
    for (const text of args.set) identify.set(...keyValue('--set', text))
    for (const text of args['set-once']) identify.setOnce(...keyValue('--set-once', text))
    for (const text of args.add) {
      const [key, value] = keyValue('--add', text)
      if (typeof value !== 'number') throw usageError(`--add takes KEY=NUMBER, got '${text}'`)
      identify.add(key, value)
    }
    for (const key of args.unset) identify.unset(key)
    if (Object.keys(identify.getUserProperties()).length === 0)
      throw usageError('nothing to do: give --set, --set-once, --add, --unset or --props')
    const target = resolveTarget(args, process.env, cwd, err)
    const client = await createTargetClient(target, { useBatch: args.batch })
    const handle = client.identify(identify, {
      ...(userId !== undefined && { user_id: userId }),
      ...(deviceId !== undefined && { device_id: deviceId }),
    })
    const report = await deliverOne(client, '$identify', handle)
    out(args.json ? JSON.stringify(report) : describeDelivery(report))
    return report.delivered ? 0 : 1
  },
})
