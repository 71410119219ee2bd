/** Builds an in-process app and requests against it. */
import { gzipSync } from 'node:zlib'
import { onTestFinished } from 'vitest'
import { createServerApp, type ServerApp, type ServerAppOptions } from '../../src/app.ts'
import type { Project } from '../../src/projects.ts'
import type { Store } from '../../src/store/store.ts'
import { RecordingStore } from './recording-store.ts'

export const PROJECT: Project = {
  id: 7,
  name: 'Test',
  apiKey: 'test-api-key-0001',
  secretKey: 'test-secret-key-0001',
}
export const OTHER_PROJECT: Project = {
  id: 8,
  name: 'Other',
  apiKey: 'other-api-key-0002',
  secretKey: 'other-secret-key-0002',
}

export const ORIGIN = 'http://ampkit.test'

export interface Fixture<S extends Store> {
  app: ServerApp
  store: S
  lines: string[]
  errors: string[]
}

/**
 * An app on a fresh in-memory DuckDB store (behind a recorder), closed when the test finishes.
 * Call it inside a test.
 */
export async function testApp(
  options: Partial<ServerAppOptions> = {},
): Promise<Fixture<RecordingStore>> {
  const store = await RecordingStore.open(options.now)
  try {
    const fixture = appWith(store, options)
    onTestFinished(() => fixture.app.close())
    return fixture
  } catch (error) {
    await store.close()
    throw error
  }
}

export function appWith<S extends Store>(store: S, options: Partial<ServerAppOptions> = {}) {
  const lines: string[] = []
  const errors: string[] = []
  const app = createServerApp({
    store,
    projects: [PROJECT, OTHER_PROJECT],
    logger: { info: (line) => lines.push(line), error: (line) => errors.push(line) },
    ...options,
  })
  return { app, store, lines, errors } satisfies Fixture<S>
}

/** The Amplitude id the inspection API reports for a user id (or undefined). */
export async function amplitudeIdOf(app: ServerApp, userId: string): Promise<number | undefined> {
  const response = await app.handle(
    new Request(`${ORIGIN}/api/2/usersearch?user=${encodeURIComponent(userId)}`, {
      headers: { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) },
    }),
  )
  const body = (await response.json()) as { matches: Array<{ amplitude_id: number }> }
  return body.matches[0]?.amplitude_id
}

/** `userData` and events of a user of PROJECT, through `/api/2/useractivity`. */
export async function activityOf(
  app: ServerApp,
  userId: string,
): Promise<{ userData: Record<string, unknown>; events: Array<Record<string, unknown>> }> {
  const id = await amplitudeIdOf(app, userId)
  if (id === undefined) throw new Error(`no user ${userId}`)
  const response = await app.handle(
    new Request(`${ORIGIN}/api/2/useractivity?user=${id}&direction=earliest`, {
      headers: { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) },
    }),
  )
  return (await response.json()) as {
    userData: Record<string, unknown>
    events: Array<Record<string, unknown>>
  }
}

export function postJson(
  path: string,
  body: unknown,
  init: { headers?: Record<string, string>; gzip?: boolean } = {},
): Request {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers }
  let payload: Uint8Array | string = text
  if (init.gzip) {
    payload = gzipSync(text)
    headers['content-encoding'] = 'gzip'
  }
  return new Request(`${ORIGIN}${path}`, { method: 'POST', headers, body: payload })
}

/** `POST path` with a JSON content type and a streamed body. */
export function streamingPost(
  path: string,
  body: ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
): Request {
  return new Request(`${ORIGIN}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    duplex: 'half',
  } as RequestInit)
}

export function postForm(path: string, fields: Record<string, string>): Request {
  return new Request(`${ORIGIN}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  })
}

export function basicAuth(apiKey: string, secretKey: string): string {
  return `Basic ${Buffer.from(`${apiKey}:${secretKey}`).toString('base64')}`
}

export async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>
}

/** A valid event for `user` on `device`. */
export function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { event_type: 'Page Viewed', user_id: 'user-0001', device_id: 'device-0001', ...overrides }
}
