/**
 * @module The hours an export covers, as the user types them: `YYYYMMDDTHH` (Amplitude's form),
 * `YYYY-MM-DDTHH`, or a day `YYYY-MM-DD`/`YYYYMMDD` (from its first hour when it starts the range,
 * through its last when it ends it). All UTC, as the Export API reads them (query-api.md §2.1).
 */
import { usageError } from '../cli-error.ts'

const HOUR = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2})$/
const DAY = /^(\d{4})-?(\d{2})-?(\d{2})$/

/** `YYYYMMDDTHH` of the hour the option names; `edge` picks a bare day's first or last hour. */
export function exportHourOption(text: string, option: string, edge: 'first' | 'last'): string {
  const trimmed = text.trim()
  const hour = HOUR.exec(trimmed)
  const day = hour === null ? DAY.exec(trimmed) : null
  const parts = hour ?? day
  if (parts === null)
    throw usageError(
      `--${option} takes YYYYMMDDTHH, YYYY-MM-DDTHH or a day YYYY-MM-DD, got '${text}'`,
    )
  const [y, m, d] = [parts[1], parts[2], parts[3]] as [string, string, string]
  const h = hour !== null ? (parts[4] as string) : edge === 'first' ? '00' : '23'
  const ms = Date.UTC(Number(y), Number(m) - 1, Number(d), Number(h))
  const check = new Date(ms)
  if (Number(h) > 23 || check.getUTCMonth() !== Number(m) - 1 || check.getUTCDate() !== Number(d))
    throw usageError(`--${option}: '${text}' is not a real hour`)
  return `${y}${m}${d}T${h}`
}
