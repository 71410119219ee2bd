import { describe, expect, it } from 'vitest'
import { SessionManager } from '../src/sessions.ts'

const T0 = 1_700_000_000_000
const MINUTE = 60_000

describe('SessionManager', () => {
  it('gives a session id equal to the start time of the session', () => {
    const sessions = new SessionManager()
    expect(sessions.sessionFor('device-1', undefined, T0)).toBe(T0)
    expect(sessions.sessionFor('device-1', undefined, T0 + MINUTE)).toBe(T0)
  })

  it('starts a new session after 5 minutes of inactivity by default', () => {
    const sessions = new SessionManager()
    sessions.sessionFor('device-1', undefined, T0)
    sessions.sessionFor('device-1', undefined, T0 + 4 * MINUTE)
    expect(sessions.sessionFor('device-1', undefined, T0 + 8 * MINUTE)).toBe(T0)
    expect(sessions.sessionFor('device-1', undefined, T0 + 14 * MINUTE)).toBe(T0 + 14 * MINUTE)
  })

  it('honours a custom timeout', () => {
    const sessions = new SessionManager({ timeoutMs: 1000 })
    sessions.sessionFor('device-1', undefined, T0)
    expect(sessions.sessionFor('device-1', undefined, T0 + 1500)).toBe(T0 + 1500)
  })

  it('keeps one session per device, falling back to the user id', () => {
    const sessions = new SessionManager()
    expect(sessions.sessionFor('device-1', 'user-1', T0)).toBe(T0)
    expect(sessions.sessionFor('device-2', 'user-1', T0 + 10)).toBe(T0 + 10)
    expect(sessions.sessionFor(undefined, 'user-1', T0 + 20)).toBe(T0 + 20)
    expect(sessions.sessionFor(undefined, 'user-1', T0 + 30)).toBe(T0 + 20)
    expect(sessions.sessionFor(undefined, undefined, T0)).toBeUndefined()
  })

  it('stays bounded by evicting the least recently active sessions', () => {
    const sessions = new SessionManager({ maxSessions: 3 })
    for (let i = 0; i < 10; i++) sessions.sessionFor(`device-${i}`, undefined, T0 + i)
    expect(sessions.size).toBe(3)
    // device-0 was evicted: its next event starts a new session.
    expect(sessions.sessionFor('device-0', undefined, T0 + 20)).toBe(T0 + 20)
    expect(sessions.sessionFor('device-9', undefined, T0 + 21)).toBe(T0 + 9)
  })

  it('forgets expired sessions', () => {
    const sessions = new SessionManager({ timeoutMs: 1000 })
    for (let i = 0; i < 5; i++) sessions.sessionFor(`device-${i}`, undefined, T0)
    sessions.sessionFor('device-x', undefined, T0 + 5000)
    expect(sessions.size).toBe(1)
  })
})
