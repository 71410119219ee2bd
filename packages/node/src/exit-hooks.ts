/**
 * @module Flush on process exit. One listener per process and event, shared by every client (so a
 * hundred clients do not trip MaxListenersExceededWarning):
 * - `beforeExit` (the loop emptied with events still held): flush, with a ref'd deadline timer that
 *   keeps the process alive while the client's own (unref'd) timers run, at most `timeoutMs`;
 * - SIGTERM/SIGINT (opt-in): shut every client down within `timeoutMs`, then re-raise the signal so
 *   the process ends as it would have without us.
 */
import type { ExitSignal, ProcessLike, ResolvedNodeOptions } from './options.ts'

/** What the hooks need of a client. */
export interface ExitHookTarget {
  /** Events accepted and not settled. */
  pendingEvents(): number
  flush(): Promise<void>
  shutdown(options: { timeoutMs: number }): Promise<unknown>
}

interface Entry {
  /**
   * Weak: a client that is dropped without `shutdown()` (e.g. one per serverless invocation) must not
   * be kept alive by the process-wide registry. The client holds the target strongly.
   */
  target: WeakRef<ExitHookTarget>
  options: ResolvedNodeOptions['exitHooks']
  clock: ResolvedNodeOptions['clock']
  flushing: boolean
}

interface Registry {
  entries: Set<Entry>
  beforeExit: (() => void) | undefined
  signals: Map<ExitSignal, () => void>
}

const registries = new Map<ProcessLike, Registry>()

/** Registers a client; returns the function that unregisters it. */
export function registerExitHooks(
  proc: ProcessLike,
  target: ExitHookTarget,
  options: ResolvedNodeOptions['exitHooks'],
  clock: ResolvedNodeOptions['clock'],
): () => void {
  if (!options.beforeExit && options.signals.length === 0) return () => undefined
  let registry = registries.get(proc)
  if (registry === undefined) {
    registry = { entries: new Set(), beforeExit: undefined, signals: new Map() }
    registries.set(proc, registry)
  }
  const entry: Entry = { target: new WeakRef(target), options, clock, flushing: false }
  for (const old of registry.entries)
    if (old.target.deref() === undefined) registry.entries.delete(old)
  registry.entries.add(entry)
  const reg = registry
  if (options.beforeExit && reg.beforeExit === undefined) {
    reg.beforeExit = () => onBeforeExit(reg)
    proc.on('beforeExit', reg.beforeExit)
  }
  for (const signal of options.signals) {
    if (reg.signals.has(signal)) continue
    const listener = (): void => {
      void onSignal(proc, reg, signal)
    }
    reg.signals.set(signal, listener)
    proc.on(signal, listener)
  }
  return () => {
    reg.entries.delete(entry)
    if (reg.entries.size === 0) detach(proc, reg)
  }
}

function detach(proc: ProcessLike, registry: Registry): void {
  if (registry.beforeExit !== undefined) proc.removeListener('beforeExit', registry.beforeExit)
  registry.beforeExit = undefined
  for (const [signal, listener] of registry.signals) proc.removeListener(signal, listener)
  registry.signals.clear()
  registries.delete(proc)
}

function onBeforeExit(registry: Registry): void {
  for (const entry of registry.entries) {
    const target = entry.target.deref()
    if (target === undefined) {
      registry.entries.delete(entry)
      continue
    }
    if (!entry.options.beforeExit || entry.flushing || target.pendingEvents() === 0) continue
    entry.flushing = true
    // Not unref'd on purpose: it is what keeps the process alive while the flush runs.
    const keepAlive = entry.clock.setTimeout(() => undefined, entry.options.timeoutMs)
    void target.flush().finally(() => {
      entry.clock.clearTimeout(keepAlive)
      entry.flushing = false
    })
  }
}

async function onSignal(proc: ProcessLike, registry: Registry, signal: ExitSignal): Promise<void> {
  const entries = [...registry.entries].filter((entry) => entry.options.signals.includes(signal))
  await Promise.all(
    entries.map((entry) => entry.target.deref()?.shutdown({ timeoutMs: entry.options.timeoutMs })),
  )
  const listener = registry.signals.get(signal)
  if (listener !== undefined) proc.removeListener(signal, listener)
  registry.signals.delete(signal)
  // Someone else handles the signal: let them decide. Otherwise end as the signal would have.
  if (proc.listenerCount(signal) === 0) proc.kill(proc.pid, signal)
}
