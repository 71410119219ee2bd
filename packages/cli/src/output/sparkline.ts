/**
 * @module A one-line terminal chart of a series: eight block heights scaled from the series' minimum
 * to its maximum (all equal values draw a flat middle line), so trends read at a glance.
 */

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const

/** The sparkline of `values` (non-finite values draw as a space). */
export function sparkline(values: readonly number[]): string {
  const finite = values.filter((v) => Number.isFinite(v))
  if (finite.length === 0) return ''
  const min = Math.min(...finite)
  const max = Math.max(...finite)
  return values
    .map((v) => {
      if (!Number.isFinite(v)) return ' '
      if (max === min) return BLOCKS[3]
      return BLOCKS[Math.min(7, Math.floor(((v - min) / (max - min)) * 8))]
    })
    .join('')
}
