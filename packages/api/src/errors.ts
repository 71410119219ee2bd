/**
 * @module The errors @ampkit/api throws. Every one extends `AmplitudeApiError`, whose `code` is stable
 * and whose message names the operation (`GET /api/2/export failed: 403 Invalid API Key`). Neither the
 * message nor any field ever holds the secret key or the `Authorization` header: `url` is stripped of
 * user info and of signature-like query parameters, `body` is a short excerpt of what the server said.
 */

/** Where a failed request went; every field is safe to log. */
export interface RequestContext {
  /** `GET`, `POST`, … */
  method?: string
  /** The URL without credentials. */
  url?: string
  /** HTTP status, when a response arrived. */
  status?: number
  /** The first characters of the response body. */
  body?: string
}

/** Base class of every error @ampkit/api throws. */
export class AmplitudeApiError extends Error {
  override readonly name: string = 'AmplitudeApiError'
  readonly code: string = 'E_AMPLITUDE_API'
  readonly status: number | undefined
  readonly method: string | undefined
  readonly url: string | undefined
  /** An excerpt of the response body (at most 512 characters). */
  readonly body: string | undefined

  constructor(message: string, context: RequestContext = {}, options?: { cause?: unknown }) {
    super(message, options)
    this.status = context.status
    this.method = context.method
    this.url = context.url
    this.body = context.body
  }
}

/** A bad client option (`createAmplitudeApi`); `option` names it. */
export class ConfigError extends AmplitudeApiError {
  override readonly name = 'ConfigError'
  override readonly code = 'E_CONFIG'
  readonly option: string

  constructor(option: string, message: string) {
    super(`createAmplitudeApi failed: ${option} ${message}`)
    this.option = option
  }
}

/** A query parameter refused before anything was sent; `parameter` names it (`limit`, `e[0]`). */
export class ParameterError extends AmplitudeApiError {
  override readonly name = 'ParameterError'
  override readonly code = 'E_PARAMETER'
  readonly parameter: string

  constructor(operation: string, parameter: string, message: string) {
    super(`${operation}: ${parameter} ${message}`)
    this.parameter = parameter
  }
}

/** 401 or 403: wrong api key / secret key, or the wrong zone for this project. */
export class AuthError extends AmplitudeApiError {
  override readonly name = 'AuthError'
  override readonly code = 'E_AUTH'
}

/** 404, or the Profile API's "User id and device id not seen before". */
export class NotFoundError extends AmplitudeApiError {
  override readonly name = 'NotFoundError'
  override readonly code = 'E_NOT_FOUND'
}

/** 429 on every allowed attempt. `retryAfterMs` is the server's last hint, when it sent one. */
export class RateLimitError extends AmplitudeApiError {
  override readonly name = 'RateLimitError'
  override readonly code = 'E_RATE_LIMITED'
  readonly attempts: number
  readonly retryAfterMs: number | undefined

  constructor(
    message: string,
    context: RequestContext,
    attempts: number,
    retryAfterMs: number | undefined,
  ) {
    super(message, context)
    this.attempts = attempts
    this.retryAfterMs = retryAfterMs
  }
}

/**
 * 400 (and other 4xx without a class of their own). For the cohort endpoints, `errorType` and
 * `metadata` carry the `{error:{type, metadata}}` of the body (query-api.md §4.3).
 */
export class BadRequestError extends AmplitudeApiError {
  override readonly name = 'BadRequestError'
  override readonly code = 'E_BAD_REQUEST'
  readonly errorType: string | undefined
  readonly metadata: Record<string, unknown> | undefined

  constructor(
    message: string,
    context: RequestContext,
    details: { errorType?: string; metadata?: Record<string, unknown> } = {},
  ) {
    super(message, context)
    this.errorType = details.errorType
    this.metadata = details.metadata
  }
}

/** 409: the Taxonomy object exists already (or is in a conflicting state). */
export class ConflictError extends AmplitudeApiError {
  override readonly name = 'ConflictError'
  override readonly code = 'E_CONFLICT'
  /** The `errors[].message` of the Taxonomy API body. */
  readonly messages: string[]

  constructor(message: string, context: RequestContext, messages: string[]) {
    super(message, context)
    this.messages = messages
  }
}

/** 5xx on every allowed attempt (or once, for a request that is not retried). */
export class ServerError extends AmplitudeApiError {
  override readonly name = 'ServerError'
  override readonly code = 'E_SERVER'
}

/** The connection failed or broke before the answer was complete. */
export class NetworkError extends AmplitudeApiError {
  override readonly name = 'NetworkError'
  override readonly code = 'E_NETWORK'
}

/** No answer (or no further bytes of it) within `timeoutMs`. */
export class TimeoutError extends AmplitudeApiError {
  override readonly name = 'TimeoutError'
  override readonly code = 'E_TIMEOUT'
}

/** The answer is not what the API documents: not JSON, a truncated zip, a bad CSV, a failed job. */
export class ProtocolError extends AmplitudeApiError {
  override readonly name = 'ProtocolError'
  override readonly code = 'E_PROTOCOL'
}

/** The caller's `AbortSignal` fired. */
export class AbortedError extends AmplitudeApiError {
  override readonly name = 'AbortedError'
  override readonly code = 'E_ABORTED'
}
