/**
 * @module The plugin timeline: before → enrichment plugins may change or drop an event (each gets a
 * shallow copy, as in the official SDK); destination plugins get a copy of every queued event,
 * fire-and-forget (ampkit's own delivery resolves the call's promise). With no before/enrichment
 * plugin the client stays on its synchronous fast path.
 */
import type {
  BeforePlugin,
  EnrichmentPlugin,
  NodeClient,
  NodeConfig,
  Plugin,
} from './client-types.ts'
import type { Event } from './event-types.ts'
import type { ILogger } from './logger.ts'

/** Registered plugins. */
export class PluginTimeline {
  #plugins: Plugin[] = []
  readonly #names = new Set<string>()
  #logger: ILogger
  #transformers = 0
  #destinations = 0
  #unnamed = 0

  constructor(logger: ILogger) {
    this.#logger = logger
  }

  /** Where plugin failures are logged. */
  set logger(logger: ILogger) {
    this.#logger = logger
  }

  /** True when an event must go through before/enrichment plugins (the async path). */
  get transforms(): boolean {
    return this.#transformers > 0
  }

  /** True when some destination plugin wants copies of events. */
  get hasDestinations(): boolean {
    return this.#destinations > 0
  }

  async register(plugin: Plugin, config: NodeConfig, client: NodeClient): Promise<void> {
    if (plugin.name === undefined) plugin.name = `plugin-${++this.#unnamed}`
    const name = plugin.name
    if (this.#names.has(name)) {
      this.#logger.warn(`Plugin with name ${name} already exists, skipping registration`)
      return
    }
    plugin.type = plugin.type ?? 'enrichment'
    this.#names.add(name)
    await plugin.setup?.(config, client)
    if (!this.#names.has(name)) return
    this.#plugins.push(plugin)
    this.#count()
  }

  async deregister(name: string): Promise<void> {
    this.#names.delete(name)
    const plugin = this.#plugins.find((p) => p.name === name)
    if (plugin === undefined) {
      this.#logger.warn(`Plugin with name ${name} does not exist, skipping deregistration`)
      return
    }
    this.#plugins = this.#plugins.filter((p) => p !== plugin)
    this.#count()
    await plugin.teardown?.()
  }

  /** Runs before, then enrichment plugins. Null when one dropped the event (or threw). */
  async transform(event: Event): Promise<{ event: Event | null; by?: string }> {
    let current = event
    for (const type of ['before', 'enrichment'] as const) {
      for (const plugin of this.#plugins) {
        if (plugin.type !== type) continue
        const transformer = plugin as BeforePlugin | EnrichmentPlugin
        if (transformer.execute === undefined) continue
        const next = await transformer.execute({ ...current })
        if (next === null) return { event: null, by: plugin.name ?? '' }
        current = next
      }
    }
    return { event: current }
  }

  /** Hands a copy of the event to each destination plugin; failures are logged, never thrown. */
  deliver(event: Event): void {
    for (const plugin of this.#plugins) {
      if (plugin.type !== 'destination') continue
      plugin.execute({ ...event }).catch((error: unknown) => {
        this.#logger.error(`Destination plugin ${plugin.name ?? ''} failed: ${String(error)}`)
      })
    }
  }

  /** Calls `flush()` of the destination plugins. */
  async flush(): Promise<void> {
    await Promise.all(
      this.#plugins.map((plugin) => (plugin.type === 'destination' ? plugin.flush?.() : undefined)),
    )
  }

  /** Tells plugins that opt-out changed. */
  optOutChanged(optOut: boolean): void {
    for (const plugin of this.#plugins) {
      plugin.onOptOutChanged?.(optOut)?.catch(() => undefined)
    }
  }

  /** Tears every plugin down (shutdown). */
  async teardown(): Promise<void> {
    const plugins = this.#plugins
    this.#plugins = []
    this.#names.clear()
    this.#count()
    await Promise.all(plugins.map((plugin) => plugin.teardown?.().catch(() => undefined)))
  }

  #count(): void {
    this.#transformers = this.#plugins.filter(
      (p) => p.type === 'before' || p.type === 'enrichment',
    ).length
    this.#destinations = this.#plugins.filter((p) => p.type === 'destination').length
  }
}
