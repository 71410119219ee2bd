/**
 * @module Building responses, and the one place that renders every error (`renderError`): an
 * `ApiError` becomes its Amplitude body; anything else becomes a 500 with `{code, error}` and the
 * server keeps serving.
 */
import { serverErrorBody } from '@ampkit/protocol'
import { ApiError } from './errors.ts'

/**
 * Ingestion answers carry a permissive CORS header, as Amplitude's do, so that a browser SDK on a
 * local page can send to the local server.
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
}

/** A JSON response; `body.code` is expected to equal `status` (the SDKs read it). */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  })
}

/** A plain-text response (the Identify-family `success`). */
export function textResponse(
  status: number,
  text: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(text, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
  })
}

/** Reports an unexpected error; receives only the error's name and message, never a body. */
export type UnexpectedErrorReporter = (message: string) => void

/** Renders any thrown value in Amplitude's body shape. */
export function renderError(error: unknown, report: UnexpectedErrorReporter): Response {
  if (error instanceof ApiError) return jsonResponse(error.status, error.body, error.headers)
  const described =
    error instanceof Error ? `${error.name}: ${error.message}` : `non-error thrown: ${typeof error}`
  report(described)
  return jsonResponse(500, serverErrorBody(500))
}
