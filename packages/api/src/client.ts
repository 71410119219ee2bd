/**
 * @module `createAmplitudeApi()`: the query and export client. One object per project; every method
 * shares its transport, so the concurrency limit (5 in flight, §1.4) holds across all of them.
 */
import type { ExportedEvent } from '@ampkit/protocol'
import { type ExportOptions, exportEvents, exportLines, exportNdjson } from './export/export-api.ts'
import { Transport } from './http/transport.ts'
import { type ApiOptions, type ResolvedApiOptions, resolveApiOptions } from './options.ts'

export class AmplitudeApi {
  readonly #transport: Transport
  readonly #options: ResolvedApiOptions

  constructor(options: ApiOptions) {
    this.#options = resolveApiOptions(options)
    this.#transport = new Transport(this.#options)
  }

  /** Requests holding one of the concurrency permits now, and requests waiting for one. */
  get pending(): { inFlight: number; queued: number } {
    return { inFlight: this.#transport.limiter.inFlight, queued: this.#transport.limiter.queued }
  }

  // --- Export API (§2) ---

  /** The events uploaded in `[start, end]` (UTC hours, inclusive), parsed, streamed as they arrive. */
  exportEvents(options: ExportOptions): AsyncGenerator<ExportedEvent> {
    return exportEvents(this.#transport, options)
  }

  /** The same events as raw NDJSON lines (Buffers without `\n`), not parsed. */
  exportLines(options: ExportOptions): AsyncGenerator<Buffer> {
    return exportLines(this.#transport, options)
  }

  /** The same events as whole-line NDJSON blocks (each ends with `\n`), for piping into a file. */
  exportNdjson(options: ExportOptions): AsyncGenerator<Buffer> {
    return exportNdjson(this.#transport, options)
  }
}

/** Creates a client; throws a `ConfigError` naming a bad option. */
export function createAmplitudeApi(options: ApiOptions): AmplitudeApi {
  return new AmplitudeApi(options)
}
