/**
 * @module The `Types` namespace, as `@amplitude/analytics-node` exports it (`Types.LogLevel.Warn`,
 * `Types.NodeOptions`, …), so code that imports types from it compiles unchanged.
 */
export type {
  BeforePlugin,
  DestinationPlugin,
  EnrichmentPlugin,
  NodeClient,
  NodeConfig,
  Plugin,
  PluginType,
} from './client-types.ts'
export {
  type AmplitudeReturn,
  type BaseEvent,
  type DropReason,
  type Event,
  type EventOptions,
  type GroupIdentifyEvent,
  type IdentifyEvent,
  IdentifyOperation,
  type IdentifyUserProperties,
  type IngestionMetadata,
  type Plan,
  type Result,
  type RevenueEvent,
  RevenueProperty,
  SpecialEventType,
  type TrackEvent,
  type ValidPropertyType,
} from './event-types.ts'
export type { IIdentify } from './identify.ts'
export { type ILogger, LogLevel } from './logger.ts'
export type { NodeOptions } from './options.ts'
export type { IRevenue } from './revenue.ts'
export { ServerZone, type ServerZoneType } from './server-zone.ts'
