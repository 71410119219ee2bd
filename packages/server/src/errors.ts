/**
 * @module The server's error classes. Handlers throw an `ApiError` carrying Amplitude's exact body;
 * `render-error.ts` is the one place that turns any thrown value into a response.
 */

/** Base of every error the server throws on purpose. */
export class AmpkitServerError extends Error {
  override name: string = 'AmpkitServerError'
  readonly code: string = 'E_SERVER'
}

/**
 * An HTTP answer decided by a handler: the status, and the body exactly as Amplitude sends it
 * (a JSON object that always carries `code`, or plain text for the Identify-family successes).
 */
export class ApiError extends AmpkitServerError {
  override name = 'ApiError' as const
  override readonly code = 'E_API' as const
  readonly status: number
  readonly body: Record<string, unknown>
  readonly headers: Record<string, string>

  constructor(
    status: number,
    body: Record<string, unknown>,
    options: { headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(`HTTP ${status}: ${String(body.error ?? 'error')}`, { cause: options.cause })
    this.status = status
    this.body = body
    this.headers = options.headers ?? {}
  }
}

/** A bad server option or config-file value; the message names the option and the value. */
export class ConfigError extends AmpkitServerError {
  override name = 'ConfigError' as const
  override readonly code = 'E_CONFIG' as const
}
