/** Raw-socket HTTP for cases fetch cannot express: truncated bodies and lying lengths. */
import { connect } from 'node:net'

export interface RawExchange {
  /** Everything the server wrote before the connection closed. */
  received: string
  /** Status of the first response, or undefined when none came. */
  status: number | undefined
  /** Body of the first response. */
  body: string
}

/**
 * Writes `text` to the server, optionally half-closes, and collects what comes back until the
 * server closes the connection (or `maxWaitMs` passes, then the client closes it).
 */
export function rawExchange(
  port: number,
  text: string | Buffer,
  options: { halfClose?: boolean; maxWaitMs?: number } = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      const received = Buffer.concat(chunks).toString('utf8')
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received)
      const separator = received.indexOf('\r\n\r\n')
      resolve({
        received,
        status: match ? Number(match[1]) : undefined,
        body: separator < 0 ? '' : received.slice(separator + 4),
      })
    })
    socket.write(text)
    if (options.halfClose) socket.end()
    const timer = setTimeout(() => socket.destroy(), options.maxWaitMs ?? 5000)
  })
}

/** A request head for `POST path` with the given declared length. */
export function postHead(path: string, contentLength: number, extra = ''): string {
  return `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${contentLength}\r\n${extra}\r\n`
}
