// Checks what consumers of the built packages get: every package's `dist` entry loads through
// `import` and through `require` (CommonJS consumers on Node >= 20.19 via require(esm)), and publint
// finds no packaging error. Runs after `npm run build`, as the last step of `npm test`.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = new URL('..', import.meta.url).pathname
const require = createRequire(join(root, 'package.json'))
let failures = 0
let checked = 0

for (const dir of readdirSync(join(root, 'packages'))) {
  const pkgDir = join(root, 'packages', dir)
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'))
  const entry = join(pkgDir, 'dist', 'index.js')
  if (!existsSync(join(pkgDir, 'src', 'index.ts'))) continue
  checked++
  try {
    const esm = await import(pathToFileURL(entry).href)
    const cjs = require(manifest.name)
    const esmNames = Object.keys(esm).sort().join(',')
    const cjsNames = Object.keys(cjs)
      .filter((k) => k !== '__esModule' && k !== 'module.exports')
      .sort()
      .join(',')
    if (esmNames === '' || esmNames !== cjsNames)
      throw new Error(`exports differ between import and require: [${esmNames}] vs [${cjsNames}]`)
    const lint = spawnSync(
      process.execPath,
      [join(root, 'node_modules/publint/src/cli.js'), pkgDir, '--strict'],
      {
        encoding: 'utf8',
      },
    )
    if (lint.status !== 0) throw new Error(`publint:\n${lint.stdout}${lint.stderr}`)
    console.log(`ok ${manifest.name}: ${esmNames.split(',').length} exports via import and require`)
  } catch (error) {
    failures++
    console.error(`FAIL ${manifest.name}: ${error instanceof Error ? error.message : error}`)
  }
}
console.log(`${checked - failures} passed, ${failures} failed`)
process.exit(failures === 0 ? 0 : 1)
