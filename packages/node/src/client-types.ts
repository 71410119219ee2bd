/**
 * @module The client, config and plugin interfaces, by the names `@amplitude/analytics-node` exports
 * (`NodeClient`, `NodeConfig`, `Plugin`, `BeforePlugin`, `EnrichmentPlugin`, `DestinationPlugin`), so
 * plugins written for it register unchanged.
 */
import type { ServerZone } from '@ampkit/protocol'
import type {
  AmplitudeReturn,
  BaseEvent,
  Event,
  EventOptions,
  IngestionMetadata,
  Plan,
  Result,
} from './event-types.ts'
import type { IIdentify } from './identify.ts'
import type { ILogger, LogLevel } from './logger.ts'
import type { NodeOptions } from './options.ts'
import type { IRevenue } from './revenue.ts'

/** The configuration a plugin's `setup()` receives (the official `NodeConfig` fields). */
export interface NodeConfig {
  apiKey: string
  flushIntervalMillis: number
  flushMaxRetries: number
  flushQueueSize: number
  instanceName?: string
  logLevel: LogLevel
  loggerProvider: ILogger
  minIdLength?: number | undefined
  optOut: boolean
  plan?: Plan | undefined
  ingestionMetadata?: IngestionMetadata | undefined
  serverUrl?: string
  serverZone?: ServerZone | undefined
  useBatch: boolean
  requestTimeoutMillis: number
}

/** Plugin kinds, run in this order: before → enrichment → (delivery) → destination. */
export type PluginType = 'before' | 'enrichment' | 'destination'

interface PluginBase<T = NodeClient, U = NodeConfig> {
  name?: string
  type?: PluginType
  setup?(config: U, client: T): Promise<void>
  teardown?(): Promise<void>
  onOptOutChanged?(optOut: boolean): Promise<void>
}

/** Runs first; returning null drops the event. */
export interface BeforePlugin<T = NodeClient, U = NodeConfig> extends PluginBase<T, U> {
  type: 'before'
  execute?(context: Event): Promise<Event | null>
}

/** Runs after the before plugins; returning null drops the event. */
export interface EnrichmentPlugin<T = NodeClient, U = NodeConfig> extends PluginBase<T, U> {
  type?: 'enrichment'
  execute?(context: Event): Promise<Event | null>
}

/** Receives a copy of every event ampkit queues; its result does not affect delivery. */
export interface DestinationPlugin<T = NodeClient, U = NodeConfig> extends PluginBase<T, U> {
  type: 'destination'
  execute(context: Event): Promise<Result>
  flush?(): Promise<void>
}

/** Any plugin. */
export type Plugin<T = NodeClient, U = NodeConfig> =
  | BeforePlugin<T, U>
  | EnrichmentPlugin<T, U>
  | DestinationPlugin<T, U>

/** The drop-in client surface: what `createInstance()` returns in the official SDK. */
export interface NodeClient {
  init(apiKey?: string, options?: NodeOptions): AmplitudeReturn<void>
  add(plugin: Plugin): AmplitudeReturn<void>
  remove(pluginName: string): AmplitudeReturn<void>
  track(
    eventInput: BaseEvent | string,
    // biome-ignore lint/suspicious/noExplicitAny: the official signature
    eventProperties?: Record<string, any>,
    eventOptions?: EventOptions,
  ): AmplitudeReturn<Result>
  logEvent(
    eventInput: BaseEvent | string,
    // biome-ignore lint/suspicious/noExplicitAny: the official signature
    eventProperties?: Record<string, any>,
    eventOptions?: EventOptions,
  ): AmplitudeReturn<Result>
  identify(identify: IIdentify, eventOptions?: EventOptions): AmplitudeReturn<Result>
  groupIdentify(
    groupType: string,
    groupName: string | string[],
    identify: IIdentify,
    eventOptions?: EventOptions,
  ): AmplitudeReturn<Result>
  setGroup(
    groupType: string,
    groupName: string | string[],
    eventOptions?: EventOptions,
  ): AmplitudeReturn<Result>
  revenue(revenue: IRevenue, eventOptions?: EventOptions): AmplitudeReturn<Result>
  setOptOut(optOut: boolean): void
  flush(): AmplitudeReturn<void>
}
