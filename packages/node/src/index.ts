/**
 * @module @ampkit/node: a drop-in replacement for `@amplitude/analytics-node` (same functions,
 * builders, options and results) with bounded memory, real flush/shutdown, per-user throttling,
 * retries that survive outages, stats, an event emitter, env configuration and server-side sessions.
 */
import * as Types from './types.ts'

export {
  classify,
  type Outcome,
  parseRetryAfterMs,
  type RetryReason,
  type Verdict,
} from './classify.ts'
export { AmpkitClient, createInstance, type ShutdownOptions } from './client.ts'
export type {
  BeforePlugin,
  DestinationPlugin,
  EnrichmentPlugin,
  NodeClient,
  NodeConfig,
  Plugin,
} from './client-types.ts'
export {
  add,
  defaultInstance,
  flush,
  groupIdentify,
  identify,
  init,
  logEvent,
  off,
  on,
  remove,
  revenue,
  setGroup,
  setOptOut,
  shutdown,
  stats,
  track,
  verify,
} from './default-instance.ts'
export type {
  ClientEventMap,
  DropInfo,
  OutboxInfo,
  RequestInfo,
  ResponseInfo,
  RetryInfo,
} from './emitter.ts'
export { AmpkitNodeError, ConfigError } from './errors.ts'
export type {
  AmplitudeReturn,
  BaseEvent,
  DropReason,
  Event,
  EventOptions,
  Result,
} from './event-types.ts'
export {
  Identify,
  type IdentifyFromOperations,
  type IIdentify,
  identifyFromOperations,
} from './identify.ts'
export { type ILogger, LogLevel } from './logger.ts'
export {
  type ClientHooks,
  type ExitHookOptions,
  LIBRARY,
  type NodeOptions,
  resolveNodeOptions,
} from './options.ts'
export {
  type DeadLetter,
  type ReplayOptions,
  type ReplayReport,
  replayDeadLetters,
} from './outbox/dead-letter.ts'
export { OutboxError } from './outbox/errors.ts'
export type { DeadLetterOptions, Durability, PersistenceOptions } from './outbox/options.ts'
export type { OutboxCorruption, OutboxStats } from './outbox/outbox-store.ts'
export type { ShutdownReport } from './publisher.ts'
export type { OverflowPolicy } from './queue.ts'
export { TrackHandle } from './result.ts'
export { type IRevenue, Revenue } from './revenue.ts'
export type { SessionOptions } from './sessions.ts'
export type { ClientStats } from './stats.ts'
export {
  createTaxonomyGuard,
  type TaxonomyAction,
  type TaxonomyGuard,
  type TaxonomyReporter,
  type TaxonomyStats,
  type TaxonomyVerdict,
  type TaxonomyViolation,
} from './taxonomy/guard.ts'
export {
  defaultTaxonomyMode,
  type PlanChecker,
  resolveTaxonomyOptions,
  TAXONOMY_MODES,
  type TaxonomyMode,
  type TaxonomyOptions,
} from './taxonomy/options.ts'
export {
  pullTrackingPlan,
  syncTrackingPlan,
  TaxonomySyncError,
  type TaxonomySyncOptions,
  type TaxonomySyncReport,
} from './taxonomy/sync.ts'
export {
  type BindablePlan,
  type BindOptions,
  bindable,
  bindTrackingPlan,
  defineTrackingPlan,
  type PlanClient,
  type PlanTracker,
  standardCatalog,
} from './taxonomy/tracker.ts'
export type { VerifyResult } from './verify.ts'
export { Types }
