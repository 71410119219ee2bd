import { describe, expect, it } from 'vitest'
import { AUTH, call, sharedApp } from '../cohorts/requests.ts'
import { ORIGIN, testApp } from '../helpers/app-fixture.ts'

function form(method: string, path: string, fields?: Record<string, string>): Request {
  const init: RequestInit = { method, headers: { authorization: AUTH } }
  if (fields !== undefined) {
    ;(init.headers as Record<string, string>)['content-type'] = 'application/x-www-form-urlencoded'
    init.body = new URLSearchParams(fields).toString()
  }
  return new Request(`${ORIGIN}/api/2/taxonomy/${path}`, init)
}

describe('Taxonomy API', () => {
  it('creates, lists, updates, deletes and restores an event type', async () => {
    const { app } = await testApp()
    const created = await call(
      app,
      form('POST', 'event', {
        event_type: 'Song Played',
        category: 'Media',
        description: 'A song started',
        tags: 'audio, core',
        is_active: 'true',
      }),
    )
    expect(created).toMatchObject({ status: 200, body: { success: true } })
    const conflict = await call(app, form('POST', 'event', { event_type: 'Song Played' }))
    expect(conflict.status).toBe(409)
    expect(conflict.body).toEqual({
      success: false,
      errors: [{ message: expect.stringContaining('already exists') }],
    })
    const listed = await call(app, form('GET', 'event'))
    expect(listed.body).toEqual({
      success: true,
      data: [
        {
          event_type: 'Song Played',
          category: { name: 'Media' },
          description: 'A song started',
          tags: ['audio', 'core'],
          is_active: true,
        },
      ],
    })
    const updated = await call(
      app,
      form('PUT', 'event/Song%20Played', {
        description: 'Playback began',
        new_event_type: 'Song Started',
      }),
    )
    expect(updated.body).toEqual({ success: true })
    const one = await call(app, form('GET', 'event/Song%20Started'))
    expect(one.body.data).toMatchObject({
      event_type: 'Song Started',
      description: 'Playback began',
      category: { name: 'Media' },
    })
    expect((await call(app, form('GET', 'event/Song%20Played'))).status).toBe(404)

    expect((await call(app, form('DELETE', 'event/Song%20Started'))).body).toEqual({
      success: true,
    })
    expect((await call(app, form('GET', 'event'))).body.data).toEqual([])
    const withDeleted = await call(app, form('GET', 'event?showDeleted=true'))
    expect(withDeleted.body.data).toEqual([
      expect.objectContaining({ event_type: 'Song Started', deleted: true }),
    ])
    expect((await call(app, form('POST', 'event/Song%20Started/restore'))).body).toEqual({
      success: true,
    })
    expect((await call(app, form('GET', 'event'))).body.data).toHaveLength(1)
    expect((await call(app, form('POST', 'event/Song%20Started/restore'))).status).toBe(409)
  })

  it('keeps event properties per event type, with typed fields', async () => {
    const { app } = await testApp()
    const create = (fields: Record<string, string>) =>
      call(app, form('POST', 'event-property', fields))
    expect(
      (
        await create({
          event_type: 'Song Played',
          event_property: 'genre',
          type: 'enum',
          enum_values: 'rock,jazz',
          is_required: 'true',
          classifications: 'sensitive',
        })
      ).status,
    ).toBe(200)
    expect(
      (await create({ event_type: 'Video Played', event_property: 'genre', type: 'string' }))
        .status,
    ).toBe(200)
    expect((await create({ event_type: 'Song Played', event_property: 'genre' })).status).toBe(409)
    const song = await call(app, form('GET', 'event-property?event_type=Song%20Played'))
    expect(song.body.data).toEqual([
      {
        event_property: 'genre',
        event_type: 'Song Played',
        type: 'enum',
        enum_values: 'rock,jazz',
        is_required: true,
        classifications: ['SENSITIVE'],
        description: null,
      },
    ])
    expect((await call(app, form('GET', 'event-property'))).body.data).toHaveLength(2)
    const put = await call(
      app,
      form('PUT', 'event-property/genre', { event_type: 'Video Played', description: 'Kind' }),
    )
    expect(put.body).toEqual({ success: true })
    const video = await call(app, form('GET', 'event-property/genre?event_type=Video%20Played'))
    expect(video.body.data).toMatchObject({
      event_type: 'Video Played',
      type: 'string',
      description: 'Kind',
    })
    const gone = await call(app, form('DELETE', 'event-property/genre?event_type=Song%20Played'))
    expect(gone.body).toEqual({ success: true })
    expect(
      (await call(app, form('GET', 'event-property?event_type=Song%20Played'))).body.data,
    ).toEqual([])
  })

  it('lists custom user properties with the gp: prefix and accepts either form in paths', async () => {
    const { app } = await testApp()
    expect(
      (await call(app, form('POST', 'user-property', { user_property: 'plan', type: 'string' })))
        .status,
    ).toBe(200)
    expect(
      (await call(app, form('POST', 'user-property', { user_property: 'gp:plan' }))).status,
    ).toBe(409)
    const listed = await call(app, form('GET', 'user-property'))
    expect(listed.body.data).toEqual([
      { user_property: 'gp:plan', type: 'string', description: null },
    ])
    const renamed = await call(
      app,
      form('PUT', 'user-property/gp:plan', { new_user_property_value: 'tier' }),
    )
    expect(renamed.body).toEqual({ success: true })
    expect((await call(app, form('GET', 'user-property/tier'))).body.data.user_property).toBe(
      'gp:tier',
    )
  })

  it('keeps group properties per group type and categories by id', async () => {
    const { app } = await testApp()
    expect(
      (
        await call(
          app,
          form('POST', 'group-property', {
            group_type: 'org',
            group_property: 'size',
            type: 'number',
          }),
        )
      ).status,
    ).toBe(200)
    expect(
      (await call(app, form('POST', 'group-property', { group_property: 'size' }))).status,
    ).toBe(400)
    expect((await call(app, form('GET', 'group-property?group_type=org'))).body.data).toEqual([
      { group_type: 'org', group_property: 'size', type: 'number', description: null },
    ])
    expect((await call(app, form('POST', 'category', { category_name: 'Media' }))).status).toBe(200)
    expect((await call(app, form('POST', 'category', { category_name: 'Media' }))).status).toBe(409)
    const categories = await call(app, form('GET', 'category'))
    const [media] = categories.body.data
    expect(media).toEqual({ id: expect.any(Number), name: 'Media' })
    expect((await call(app, form('GET', 'category/Media'))).body.data).toEqual(media)
    expect(
      (await call(app, form('PUT', `category/${media.id}`, { category_name: 'Music' }))).body,
    ).toEqual({ success: true })
    expect((await call(app, form('DELETE', `category/${media.id}`))).body).toEqual({
      success: true,
    })
    expect((await call(app, form('GET', 'category'))).body.data).toEqual([])
  })

  describe('refused requests', () => {
    const shared = sharedApp(async () => {})
    it.each([
      ['POST', 'event', {}, 400, 'event_type'],
      ['POST', 'event-property', { event_property: 'x', type: 'date' }, 400, 'type'],
      ['POST', 'event-property', { event_property: 'x', regex: '(' }, 400, 'regex'],
      ['POST', 'event-property', { event_property: 'x', is_required: 'maybe' }, 400, 'is_required'],
      [
        'POST',
        'user-property',
        { user_property: 'x', classifications: 'SECRET' },
        400,
        'classifications',
      ],
      ['PUT', 'event/Nope', { description: 'x' }, 404, 'Nope'],
      ['DELETE', 'event/Nope', {}, 404, 'Nope'],
      ['POST', 'widgets', {}, 404, 'Not Found'],
      ['PATCH', 'event', {}, 405, 'Method'],
    ] as const)(
      'answers %s %s with %i in the taxonomy error shape',
      async (method, path, fields, status, message) => {
        const app = shared()
        const answer = await call(app, form(method, path, fields))
        expect(answer.status).toBe(status)
        expect(answer.body).toEqual({
          success: false,
          errors: [{ message: expect.stringContaining(message) }],
        })
      },
    )

    it('answers missing credentials in the taxonomy error shape', async () => {
      const app = shared()
      const answer = await call(app, new Request(`${ORIGIN}/api/2/taxonomy/event`))
      expect(answer.status).toBe(401)
      expect(answer.body).toEqual({
        success: false,
        errors: [{ message: expect.stringContaining('Authorization') }],
      })
    })
  })
})
