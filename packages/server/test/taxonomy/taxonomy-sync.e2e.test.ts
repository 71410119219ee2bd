/** The tracking client's taxonomy sync (`@ampkit/node`) against the local server over loopback. */
import { defineTrackingPlan, pullTrackingPlan, syncTrackingPlan } from '@ampkit/node'
import { afterEach, describe, expect, it } from 'vitest'
import { createServerApp } from '../../src/app.ts'
import { type ListeningServer, listen } from '../../src/listen.ts'
import { OTHER_PROJECT, PROJECT } from '../helpers/app-fixture.ts'
import { RecordingStore } from '../helpers/recording-store.ts'

let server: ListeningServer | undefined

afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('syncTrackingPlan and pullTrackingPlan against the local Taxonomy API', () => {
  it('creates a plan, updates it on the second push (409 then PUT), and pulls it back', async () => {
    const store = await RecordingStore.open()
    server = await listen(createServerApp({ store, projects: [PROJECT, OTHER_PROJECT] }))
    const options = { apiKey: PROJECT.apiKey, secretKey: PROJECT.secretKey, serverUrl: server.url }
    const plan = defineTrackingPlan({
      events: {
        'Song Played': {
          category: 'Media',
          description: 'A song started',
          properties: {
            songId: { type: 'string', required: true },
            genre: { type: 'string', enum: ['rock', 'jazz'] },
            durationMs: { type: 'number' },
          },
        },
        'Signed Up': { properties: {} },
      },
    })
    const first = await syncTrackingPlan(plan, options)
    expect(first.failed).toEqual([])
    expect(first.created.sort()).toEqual([
      'event Signed Up',
      'event Song Played',
      'event-property Song Played.durationMs',
      'event-property Song Played.genre',
      'event-property Song Played.songId',
    ])
    const second = await syncTrackingPlan(plan, options)
    expect(second.failed).toEqual([])
    expect(second.created).toEqual([])
    expect(second.updated).toHaveLength(5)

    const pulled = await pullTrackingPlan(options)
    expect(pulled.events).toEqual({
      'Song Played': {
        description: 'A song started',
        category: 'Media',
        properties: {
          songId: { type: 'string', required: true },
          genre: { type: 'string', enum: ['rock', 'jazz'] },
          durationMs: { type: 'number' },
        },
      },
      'Signed Up': { properties: {} },
    })
  })

  it('reports the 403 of wrong keys as a failed push', async () => {
    const store = await RecordingStore.open()
    server = await listen(createServerApp({ store, projects: [PROJECT, OTHER_PROJECT] }))
    const plan = defineTrackingPlan({ events: { 'Signed Up': { properties: {} } } })
    const report = await syncTrackingPlan(plan, {
      apiKey: PROJECT.apiKey,
      secretKey: 'wrong',
      serverUrl: server.url,
    })
    expect(report.failed).toEqual([
      expect.objectContaining({ item: 'event Signed Up', status: 403 }),
    ])
    expect(report.failed[0]!.message).not.toContain(PROJECT.apiKey)
  })
})
