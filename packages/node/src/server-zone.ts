/** @module Server zones, as Amplitude's `ServerZone` enum and `ServerZoneType`. */

/** The zones. */
export const ServerZone = { US: 'US', EU: 'EU' } as const
/** One zone. */
export type ServerZone = (typeof ServerZone)[keyof typeof ServerZone]
/** One zone (the official SDK's newer name). */
export type ServerZoneType = ServerZone
