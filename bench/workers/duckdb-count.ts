/**
 * @module Worker: after the server stopped, counts the rows of every table in the DuckDB files of its
 * data directory — the check that every acknowledged event is actually stored.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { failWorker, finishWorker, workerInput } from '../lib/child.ts'

async function main(): Promise<void> {
  const { dataDir } = workerInput<{ dataDir: string }>()
  const tables: Record<string, number> = {}
  const files = readdirSync(dataDir, { recursive: true, encoding: 'utf8' }).filter((name) =>
    /\.(duckdb|db)$/.test(name),
  )
  for (const file of files) {
    const instance = await DuckDBInstance.create(join(dataDir, file), { access_mode: 'READ_ONLY' })
    const connection = await instance.connect()
    const names = await connection.runAndReadAll(
      "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'",
    )
    for (const [schema, name] of names.getRows()) {
      const qualified = `"${String(schema)}"."${String(name)}"`
      const count = await connection.runAndReadAll(`SELECT count(*)::BIGINT FROM ${qualified}`)
      tables[`${file}:${String(schema)}.${String(name)}`] = Number(count.getRows()[0]?.[0] ?? 0)
    }
    connection.closeSync()
    instance.closeSync()
  }
  finishWorker({ files, tables })
}

main().catch(failWorker)
