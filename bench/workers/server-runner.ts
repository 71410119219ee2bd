/**
 * @module Worker: runs `@ampkit/server` on a DuckDB file when the `ampkit serve` CLI is not available
 * yet, wired as the CLI would be (`startServer`: one project, rate limits off, silent log). Stops on
 * SIGTERM after closing the server (which closes the store).
 */
import { failWorker, workerInput } from '../lib/child.ts'

interface Listening {
  url: string
  close(): Promise<void>
}

interface ServerModule {
  startServer?(options: Record<string, unknown>): Promise<Listening>
  openDuckDbStore(options: { path: string }): Promise<unknown>
  createServerApp(options: Record<string, unknown>): unknown
  listen(app: unknown, options: { port: number }): Promise<Listening>
}

async function main(): Promise<void> {
  const input = workerInput<{ apiKey: string; secretKey: string; dataDir: string }>()
  const specifier = '@ampkit/server'
  const server = (await import(specifier)) as ServerModule
  const projects = [{ id: 1, name: 'bench', apiKey: input.apiKey, secretKey: input.secretKey }]
  let listening: Listening
  if (server.startServer !== undefined) {
    listening = await server.startServer({
      port: 0,
      dataDir: input.dataDir,
      projects,
      rateLimits: false,
    })
  } else {
    const store = await server.openDuckDbStore({ path: `${input.dataDir}/ampkit.duckdb` })
    const app = server.createServerApp({ store, projects, rateLimits: false })
    listening = await server.listen(app, { port: 0 })
  }
  process.once('SIGTERM', () => {
    listening.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
  process.send?.({ type: 'listening', url: listening.url })
}

main().catch(failWorker)
