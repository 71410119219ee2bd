/**
 * @module The package-level functions (`init`, `track`, …), bound to one default client, as
 * `@amplitude/analytics-node` exports them.
 */
import { createInstance } from './client.ts'

/** The client behind the package-level functions. */
export const defaultInstance = createInstance()

export const init = defaultInstance.init.bind(defaultInstance)
export const add = defaultInstance.add.bind(defaultInstance)
export const remove = defaultInstance.remove.bind(defaultInstance)
export const track = defaultInstance.track.bind(defaultInstance)
export const logEvent = defaultInstance.logEvent.bind(defaultInstance)
export const identify = defaultInstance.identify.bind(defaultInstance)
export const groupIdentify = defaultInstance.groupIdentify.bind(defaultInstance)
export const setGroup = defaultInstance.setGroup.bind(defaultInstance)
export const revenue = defaultInstance.revenue.bind(defaultInstance)
export const flush = defaultInstance.flush.bind(defaultInstance)
export const setOptOut = defaultInstance.setOptOut.bind(defaultInstance)
export const shutdown = defaultInstance.shutdown.bind(defaultInstance)
export const stats = defaultInstance.stats.bind(defaultInstance)
export const verify = defaultInstance.verify.bind(defaultInstance)
export const on = defaultInstance.on.bind(defaultInstance)
export const off = defaultInstance.off.bind(defaultInstance)
