/**
 * A real `ampkit serve` app on 127.0.0.1:0 (in memory, rate limits off) holding one project and the
 * events given, sent through the HTTP V2 API as any client would, and a client pointed at it.
 */
import { type Project, type RunningServer, startServer } from '@ampkit/server'
import { expect } from 'vitest'
import { type AmplitudeApi, createAmplitudeApi } from '../../src/index.ts'

export interface SeededServer {
  server: RunningServer
  /** A client of the project, authenticated with its key and secret. */
  api(): AmplitudeApi
}

export async function startSeededServer(
  project: Project,
  events: readonly Record<string, unknown>[],
): Promise<SeededServer> {
  const server = await startServer({
    port: 0,
    memory: true,
    projects: [project],
    rateLimits: false,
  })
  const response = await fetch(`${server.url}/2/httpapi`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api_key: project.apiKey, events }),
  })
  expect(response.status).toBe(200)
  return {
    server,
    api: () =>
      createAmplitudeApi({
        apiKey: project.apiKey,
        secretKey: project.secretKey,
        baseUrl: server.url,
      }),
  }
}
