import { describe, expect, it } from 'vitest'
import { type BaseEvent, type EventOptions, LogLevel, type Result, Types } from '../src/index.ts'

describe('the Types namespace', () => {
  it('offers the names users import from the official SDK, values included', () => {
    const options: Types.NodeOptions = {
      flushQueueSize: 100,
      logLevel: Types.LogLevel.Warn,
      serverZone: Types.ServerZone.EU,
    }
    const event: Types.BaseEvent = { event_type: 'Typed', user_id: 'user-00001' }
    const eventOptions: Types.EventOptions = { device_id: 'device-00001', session_id: -1 }
    const plugin: Types.EnrichmentPlugin = {
      name: 'noop',
      type: 'enrichment',
      execute: async (e) => e,
    }
    const same: [BaseEvent, EventOptions] = [event, eventOptions]
    const result: Result | Types.Result | undefined = undefined
    expect([options.logLevel, Types.LogLevel.None, LogLevel.Debug]).toEqual([2, 0, 4])
    expect(Types.SpecialEventType.IDENTIFY).toBe('$identify')
    expect(Types.IdentifyOperation.SET_ONCE).toBe('$setOnce')
    expect(Types.RevenueProperty.REVENUE_PRICE).toBe('$price')
    expect([plugin.name, same.length, result]).toEqual(['noop', 2, undefined])
  })
})
