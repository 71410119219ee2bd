/**
 * @module A placeholder section for a scenario a later issue adds: it is listed in the output and the
 * JSON as "skipped" with the reason, so nobody mistakes its absence for a pass.
 */
import type { Scenario } from './scenario.ts'

export function pendingScenario(name: string, title: string, reason: string): Scenario {
  return {
    name,
    title,
    async unavailable() {
      return reason
    },
    async run() {
      throw new Error(`bench scenario ${name} is not implemented`)
    },
  }
}
