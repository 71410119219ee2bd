/**
 * @module URLs as they may appear in errors and logs: no user info, and the values of query
 * parameters that carry credentials (pre-signed S3 links of cohort files: `X-Amz-Signature`, …)
 * replaced. The client never puts its own keys in a URL; this guards redirects and custom base URLs.
 */

const SECRET_PARAM = /signature|credential|token|secret|password|api[-_]?key|^sig$|^key$/i

export function safeUrl(url: string | URL): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return '(invalid URL)'
  }
  parsed.username = ''
  parsed.password = ''
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, 'REDACTED')
  }
  return parsed.toString()
}
