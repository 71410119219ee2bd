/**
 * @module The errors @ampkit/node throws. Tracking calls never throw after `init()`: they resolve a
 * result. Only configuration (`init`, `createClient`) throws, and only a `ConfigError`.
 */

/** Base class of every error @ampkit/node throws; `code` is stable, `message` names the operation. */
export class AmpkitNodeError extends Error {
  override readonly name: string = 'AmpkitNodeError'
  readonly code: string = 'E_AMPKIT_NODE'
}

/**
 * A bad option or environment variable. `setting` names the option (`flushQueueSize`) or the variable
 * (`AMPLITUDE_BATCH_SIZE`) so the fix is obvious; a bad value is never replaced by a silent default.
 */
export class ConfigError extends AmpkitNodeError {
  override readonly name = 'ConfigError'
  override readonly code = 'E_CONFIG'
  readonly setting: string

  constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super(`init failed: ${setting} ${message}`, options)
    this.setting = setting
  }
}
