/**
 * @module The admin API under `/_ampkit/`: `GET /_ampkit/health` (always on) and the fault rules at
 * `/_ampkit/faults` (only when faults are enabled; otherwise 404, so a production-like server shows
 * no test surface).
 */
import { readRequestBody } from '../body-reader.ts'
import { ApiError } from '../errors.ts'
import { type FaultInjector, parseFaultRule } from '../faults.ts'
import { jsonResponse } from '../responses.ts'
import type { RouteContext } from './context.ts'
import { parseJsonBody } from './json-body.ts'

/** The admin path prefix. */
export const ADMIN_PREFIX = '/_ampkit/'

const MAX_RULE_BYTES = 64 * 1024

function notFound(): ApiError {
  return new ApiError(404, { code: 404, error: 'Not Found' })
}

function methodNotAllowed(allow: string): ApiError {
  return new ApiError(405, { code: 405, error: 'Method Not Allowed' }, { headers: { allow } })
}

/** Handles a request under `/_ampkit/`. `faults` is absent when fault injection is off. */
export async function handleAdmin(
  context: RouteContext,
  faults: FaultInjector | undefined,
): Promise<Response> {
  const { request, url } = context
  const path = url.pathname
  if (path === '/_ampkit/health') {
    if (request.method !== 'GET') throw methodNotAllowed('GET')
    return jsonResponse(200, { code: 200, status: 'ok' })
  }
  if (faults === undefined) throw notFound()
  if (path === '/_ampkit/faults') {
    switch (request.method) {
      case 'GET':
        return jsonResponse(200, { code: 200, rules: faults.list() })
      case 'POST': {
        const { bytes } = await readRequestBody(request, {
          maxBytes: MAX_RULE_BYTES,
          timeoutMs: context.bodyTimeoutMs,
        })
        const rule = faults.add(parseFaultRule(parseJsonBody(bytes)))
        return jsonResponse(201, { code: 201, rule })
      }
      case 'DELETE':
        return jsonResponse(200, { code: 200, cleared: faults.clear() })
      default:
        throw methodNotAllowed('GET, POST, DELETE')
    }
  }
  const one = /^\/_ampkit\/faults\/(\d+)$/.exec(path)
  if (one !== null) {
    if (request.method !== 'DELETE') throw methodNotAllowed('DELETE')
    const cleared = faults.clear(Number(one[1]))
    if (cleared === 0) throw notFound()
    return jsonResponse(200, { code: 200, cleared })
  }
  throw notFound()
}
