/** @module The store's error: names the operation that failed and keeps the cause. */

/** A storage operation failed (or the store is closed). */
export class StoreError extends Error {
  override readonly name = 'StoreError'
  readonly code: 'STORE_FAILED' | 'STORE_CLOSED'

  constructor(
    message: string,
    code: 'STORE_FAILED' | 'STORE_CLOSED' = 'STORE_FAILED',
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.code = code
  }
}
