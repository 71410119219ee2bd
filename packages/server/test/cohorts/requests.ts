/** Requests of the query-side APIs against an in-process app, with PROJECT's Basic credentials. */
import { afterAll, beforeAll } from 'vitest'
import type { ServerApp, ServerAppOptions } from '../../src/app.ts'
import { appWith, basicAuth, ORIGIN, PROJECT, postJson } from '../helpers/app-fixture.ts'
import { RecordingStore } from '../helpers/recording-store.ts'

export const AUTH = basicAuth(PROJECT.apiKey, PROJECT.secretKey)

/** A Basic-authenticated request; `body` is sent as JSON unless it is a string. */
export function authed(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Request {
  const init: RequestInit = { method, headers: { authorization: AUTH, ...headers } }
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body)
    ;(init.headers as Record<string, string>)['content-type'] ??= 'application/json'
  }
  return new Request(`${ORIGIN}${path}`, init)
}

/** Sends `request` and reads status and JSON body. */
export async function call(
  app: ServerApp,
  request: Request,
  // biome-ignore lint/suspicious/noExplicitAny: tests read answer bodies freely
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await app.handle(request)
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // Not JSON (a CSV file): the text.
  }
  return { status: response.status, body, headers: response.headers }
}

/** Ingests events into PROJECT through `/batch` and fails loudly when refused. */
export async function ingest(app: ServerApp, events: Record<string, unknown>[]): Promise<void> {
  const response = await app.handle(postJson('/batch', { api_key: PROJECT.apiKey, events }))
  if (response.status !== 200) throw new Error(`ingest failed: ${await response.text()}`)
}

/** Amplitude ids of PROJECT's users by user id. */
export async function amplitudeIds(app: ServerApp): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const user of ['alice', 'bobby', 'carol', 'dave']) {
    const { body } = await call(app, authed('GET', `/api/2/usersearch?user=${user}`))
    const match = (body as { matches: Array<{ amplitude_id: number; user_id: string }> }).matches[0]
    if (match?.user_id === user) out.set(user, match.amplitude_id)
  }
  return out
}

/** Polls request-status until 200 (the count of 202s is returned). */
export async function awaitJob(app: ServerApp, requestId: string): Promise<number> {
  let inProgress = 0
  for (let attempt = 0; attempt < 500; attempt++) {
    const { status, body } = await call(
      app,
      authed('GET', `/api/5/cohorts/request-status/${requestId}`),
    )
    if (status === 200) return inProgress
    if (status !== 202) throw new Error(`status ${status}: ${JSON.stringify(body)}`)
    inProgress += 1
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error('the job never completed')
}

/**
 * One app for every test of the calling `describe` (created before them, closed after them), for
 * tests that only read or are refused and so cannot disturb each other.
 */
export function sharedApp(
  setup: (app: ServerApp) => Promise<void>,
  options: Partial<ServerAppOptions> = {},
): () => ServerApp {
  let app: ServerApp | undefined
  beforeAll(async () => {
    const store = await RecordingStore.open(options.now)
    app = appWith(store, options).app
    await setup(app)
  })
  afterAll(async () => {
    await app?.close()
  })
  return () => {
    if (app === undefined) throw new Error('sharedApp: used outside its describe')
    return app
  }
}
