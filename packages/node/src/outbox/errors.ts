/** @module The errors opening an outbox can throw (from `init()`). */
import { AmpkitNodeError } from '../errors.ts'

/**
 * The outbox directory could not be opened: it is locked by another live process
 * (`code` `E_OUTBOX_LOCKED`), or it cannot be created, read or written (`E_OUTBOX`).
 */
export class OutboxError extends AmpkitNodeError {
  override readonly name = 'OutboxError'
  override readonly code: 'E_OUTBOX' | 'E_OUTBOX_LOCKED'
  /** The outbox directory. */
  readonly dir: string

  constructor(
    code: 'E_OUTBOX' | 'E_OUTBOX_LOCKED',
    dir: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.code = code
    this.dir = dir
  }
}
