// Runs the built `ampkit` binary end to end, as a user who installed it would: `ampkit serve` in a
// child process on a free port (in memory), then `send`, `users search`, `query segmentation` and
// `export` from the built `dist/main.js` against it, checking what each prints. Runs after
// `npm run build` in `npm test`; the in-process tests cover the commands in depth.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const bin = join(root, 'packages/cli/dist/main.js')
const keys = ['--api-key', 'binary-check-key-1', '--secret-key', 'binary-check-secret-1']
const dir = mkdtempSync(join(tmpdir(), 'ampkit-binary-'))

function run(args) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  })
  if (result.status !== 0)
    throw new Error(`ampkit ${args[0]} exited ${result.status}: ${result.stderr.trim()}`)
  return result.stdout
}

const server = spawn(process.execPath, [bin, 'serve', '--memory', '--port', '0', ...keys], {
  cwd: dir,
  stdio: ['ignore', 'pipe', 'pipe'],
})
let failed = false
try {
  const url = await new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => reject(new Error(`no URL within 30 s: ${output}`)), 30_000)
    server.stdout.on('data', (chunk) => {
      output += chunk
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    server.once('exit', (code) => reject(new Error(`ampkit serve exited ${code}: ${output}`)))
  })
  const help = run(['--help'])
  for (const command of [
    'serve',
    'send',
    'import',
    'export',
    'query',
    'users',
    'cohorts',
    'delete-users',
    'lint',
    'replay',
  ])
    if (!help.includes(`  ${command} `)) throw new Error(`ampkit --help does not list ${command}`)
  run([
    'send',
    'Binary Checked',
    '--user-id',
    'binary-user-1',
    '--api-key',
    keys[1],
    '--server-url',
    `${url}/2/httpapi`,
  ])
  const search = JSON.parse(
    run(['users', 'search', 'binary-user-1', '--json', ...keys, '--server-url', url]),
  )
  if (search.matches?.[0]?.user_id !== 'binary-user-1')
    throw new Error(`users search found ${JSON.stringify(search)}`)
  const today = new Date().toISOString().slice(0, 10)
  const segmentation = JSON.parse(
    run([
      'query',
      'segmentation',
      '--event',
      'Binary Checked',
      '--start',
      today,
      '--end',
      today,
      '--json',
      ...keys,
      '--server-url',
      url,
    ]),
  )
  if (segmentation.data?.series?.[0]?.[0] !== 1)
    throw new Error(`segmentation answered ${JSON.stringify(segmentation)}`)
  run([
    'export',
    '--start',
    today,
    '--end',
    today,
    '--out',
    'today.ndjson',
    '--quiet',
    ...keys,
    '--server-url',
    url,
  ])
  const records = readFileSync(join(dir, 'today.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  if (records.length !== 1 || records[0].event_type !== 'Binary Checked')
    throw new Error(`export wrote ${records.length} records`)
  console.log('ok ampkit binary: serve, send, users search, query segmentation, export')
} catch (error) {
  failed = true
  console.error(`FAIL ampkit binary: ${error.message}`)
} finally {
  server.kill('SIGTERM')
  rmSync(dir, { recursive: true, force: true })
}
process.exitCode = failed ? 1 : 0
