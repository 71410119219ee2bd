/**
 * @module Typed trackers: `plan.bind(client)` gives one method per planned event, typed from the plan
 * (a wrong property name or type is a compile error), that validates the properties at runtime in
 * the same modes as the guard, sends the plan's user-property side effects as an `$identify` first
 * (so the event itself carries the updated profile, as Amplitude Experiment does for exposures), and
 * then sends the event with its revenue fields. Never throws: a refusal is a settled result.
 */
import {
  defineTrackingPlan as definePlan,
  type PlanEvents,
  type PlanSpec,
  type PropertiesOf,
  standardCatalog as protocolCatalog,
  type TaxonomyFinding,
  type TrackingPlan,
} from '@ampkit/protocol'
import type { NodeClient } from '../client-types.ts'
import type { AmplitudeReturn, BaseEvent, EventOptions, Result } from '../event-types.ts'
import { identifyFromOperations } from '../identify.ts'
import type { ILogger } from '../logger.ts'
import { createQueuedEvent } from '../queued-event.ts'
import { failure, settle, TrackHandle } from '../result.ts'
import { defaultTaxonomyMode, type TaxonomyMode } from './options.ts'

/** Options of `bind`. */
export interface BindOptions {
  /**
   * `strict` refuses an event that breaks the plan; `warn` sends it and logs each kind once; `off`
   * skips the check. (`redact` is the client guard's business and acts as `warn` here.)
   * @default 'warn', or 'strict' when NODE_ENV or ENV is `test`
   */
  mode?: TaxonomyMode
  /** Where `warn` reports. @default nowhere (the client's guard logs through its own logger) */
  logger?: ILogger
  /** Environment for the default mode. @default process.env */
  env?: Readonly<Record<string, string | undefined>>
}

/** The client a tracker sends through (any `NodeClient`, e.g. `createInstance()`). */
export type PlanClient = Pick<NodeClient, 'track' | 'identify'>

/** One typed method per planned event. */
export type PlanTracker<E extends PlanEvents> = {
  readonly [K in keyof E & string]: (
    properties: PropertiesOf<E[K]>,
    options?: EventOptions,
  ) => AmplitudeReturn<Result>
}

/** A plan with `bind`; `extend` keeps it bindable. */
export type BindablePlan<E extends PlanEvents> = Omit<TrackingPlan<E>, 'extend'> & {
  /** A typed tracker that sends through `client`. */
  bind(client: PlanClient, options?: BindOptions): PlanTracker<E>
  /** A new plan with these events added (same names replace). */
  extend<const E2 extends PlanEvents>(
    spec: PlanSpec<E2>,
  ): BindablePlan<{ [K in keyof (Omit<E, keyof E2> & E2)]: (Omit<E, keyof E2> & E2)[K] }>
}

const ID_FIELDS = ['user_id', 'device_id', 'time', 'session_id'] as const

/** The options of the side-effect `$identify`: the event's ids and time, a fresh insert_id. */
function identifyOptions(options: EventOptions | undefined): EventOptions {
  const out: EventOptions = {}
  if (options === undefined) return out
  for (const field of ID_FIELDS) {
    const value = options[field]
    if (value !== undefined) (out as Record<string, unknown>)[field] = value
  }
  return out
}

function refused(event: BaseEvent, message: string): AmplitudeReturn<Result> {
  const record = createQueuedEvent()
  record.event = event as Result['event']
  settle(record, failure(0, message, 'invalid'))
  return new TrackHandle(record, undefined)
}

/** A typed tracker for `plan` that sends through `client`. */
export function bindTrackingPlan<E extends PlanEvents>(
  plan: TrackingPlan<E>,
  client: PlanClient,
  options: BindOptions = {},
): PlanTracker<E> {
  const mode = options.mode ?? defaultTaxonomyMode(options.env ?? process.env)
  const logger = options.logger
  const reported = new Set<string>()
  const report = (findings: readonly TaxonomyFinding[]) => {
    if (logger === undefined) return
    for (const f of findings) {
      const kind = `${f.rule}\u0000${f.eventType}\u0000${f.property ?? ''}`
      if (reported.has(kind) || reported.size >= 1000) continue
      reported.add(kind)
      logger.warn(f.message)
    }
  }
  const tracker: Record<string, (p: object, o?: EventOptions) => AmplitudeReturn<Result>> = {}
  for (const eventType of plan.eventTypes) {
    tracker[eventType] = (properties, eventOptions) => {
      const event: BaseEvent = { event_type: eventType, event_properties: properties }
      if (mode !== 'off') {
        const findings = plan.validate(eventType, properties)
        if (findings.length > 0) {
          const error = findings.find((f) => f.severity === 'error')
          if (mode === 'strict' && error !== undefined) {
            const more = findings.length > 1 ? ` (and ${findings.length - 1} more)` : ''
            return refused(
              { ...eventOptions, ...event },
              `Event refused by the tracking plan: ${error.message}${more}`,
            )
          }
          report(findings)
        }
      }
      const ops = plan.userPropertiesFor(eventType, properties)
      const identify = ops === undefined ? undefined : identifyFromOperations(ops).identify
      if (identify !== undefined) client.identify(identify, identifyOptions(eventOptions))
      const revenue = plan.revenueFor(eventType, properties)
      if (revenue !== undefined) Object.assign(event, revenue)
      return client.track(event, undefined, eventOptions)
    }
  }
  return tracker as unknown as PlanTracker<E>
}

/** Makes a plan bindable (`plan.bind(client)`); `extend` keeps it so. */
export function bindable<E extends PlanEvents>(plan: TrackingPlan<E>): BindablePlan<E> {
  return {
    ...plan,
    bind: (client, options) => bindTrackingPlan(plan, client, options),
    extend: (spec) => bindable(plan.extend(spec)),
  }
}

/**
 * Defines a tracking plan with `bind(client)` (the `@ampkit/protocol` plan, plus a typed tracker).
 * `const` inference keeps the literal types that make wrong properties compile errors.
 */
export function defineTrackingPlan<const E extends PlanEvents>(spec: PlanSpec<E>): BindablePlan<E> {
  return bindable(definePlan(spec))
}

/** The standard event catalog, bindable: `standardCatalog.bind(client).CheckoutCompleted({...})`. */
export const standardCatalog = bindable(protocolCatalog)
