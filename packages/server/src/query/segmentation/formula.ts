/**
 * @module Custom formulas of `m=formula` (analytics-semantics.md §1.2): `UNIQUES(A)/UNIQUES(B)`.
 * Letters name the events in order (A = `e`, B = `e2`); functions are case-insensitive, as in
 * Amplitude's formula syntax; several formulas are separated by `;`. The supported functions are
 * the ones whose inputs the segmentation aggregates carry; any other is a 400 naming it.
 *
 * Two kinds of function:
 * - terms, over one event: `FN(A)`, and `PERCENTILE(A, p)` / `FREQPERCENTILE(A, p)` with a
 *   percentage `p` in [0, 100] (unconfirmed: Amplitude's docs show a whole-number percentile);
 * - time operators, over an expression's points: `CUMSUM(x)` (running sum from the range's first
 *   interval), `ROLLAVG(x, n)` (mean of the n points ending at the shown interval) and
 *   `ROLLWIN(x, n)` (x over the n intervals ending at the shown interval, users de-duplicated
 *   across them, as `rollingWindow` does). Over the whole range (`seriesCollapsed`) each is its
 *   operand's value over the range (unconfirmed: nothing documents a collapsed cumulative value).
 *
 * PROPCOUNT counts distinct values exactly (Amplitude estimates it with HyperLogLog, so its
 * numbers may differ slightly on large data). PROPCOUNTAVG is our reading of "PROPCOUNT per user"
 * (unconfirmed): the mean over the users who did the event of each one's distinct values.
 *
 * The property rule (unconfirmed; the one place it is stated): every function that reads a
 * property (`VALUE_FUNCTIONS`: PROPSUM, PROPAVG, PROPMIN, PROPMAX, PROPCOUNT, PROPCOUNTAVG,
 * ARPAU, PERCENTILE, PROPHIST) reads its event's first group_by as the value only, never as a
 * group key: that event's series are not split by it, whichever other functions the query also
 * calls on the event. Amplitude's docs say PROPSUM "returns the sum of the property values you are
 * grouping the specified event by": the grouping picks the property, the answer is one sum (as
 * `m=sums` reads it). Any further group_by of the event, and `g`/`g2`, still split the series.
 * HIST(A) and PROPHIST(A) chart histograms, only as the one formula of a query.
 */
import { queryError } from '../params.ts'

/** Functions a formula may call, each over one event. */
export const FORMULA_FUNCTIONS = [
  'UNIQUES',
  'TOTALS',
  'AVG',
  'PROPSUM',
  'PROPAVG',
  'ACTIVE',
  'PROPMIN',
  'PROPMAX',
  'PROPCOUNT',
  'PROPCOUNTAVG',
  'REVENUETOTAL',
  'ARPAU',
  'PERCENTILE',
  'FREQPERCENTILE',
  'HIST',
  'PROPHIST',
] as const
export type FormulaFunction = (typeof FORMULA_FUNCTIONS)[number]

/** Functions over an expression's points rather than over an event. */
export const TIME_FUNCTIONS = ['CUMSUM', 'ROLLAVG', 'ROLLWIN'] as const
export type TimeFunction = (typeof TIME_FUNCTIONS)[number]

/**
 * Functions that read the numeric (or, for PROPCOUNT, any) value of the event's first group_by,
 * which is then that event's value only, not a group key (the property rule above, `plan.ts`).
 */
export const VALUE_FUNCTIONS: ReadonlySet<FormulaFunction> = new Set([
  'PROPSUM',
  'PROPAVG',
  'PROPMIN',
  'PROPMAX',
  'PROPCOUNT',
  'PROPCOUNTAVG',
  'ARPAU',
  'PERCENTILE',
  'PROPHIST',
])

/**
 * Histogram functions: a formula that is one of them alone charts one series per bin, as
 * `m=histogram` does (HIST: users by their event count; PROPHIST: by their property value). They
 * do not combine with arithmetic or with other formulas (`query.ts`).
 */
export const HISTOGRAM_FUNCTIONS: ReadonlySet<FormulaFunction> = new Set(['HIST', 'PROPHIST'])

/** Functions that take a percentage after the event letter. */
const PERCENTILE_FUNCTIONS: ReadonlySet<string> = new Set(['PERCENTILE', 'FREQPERCENTILE'])

/** Longest `ROLLAVG`/`ROLLWIN` window, in intervals (as `rollingWindow`). */
export const MAX_FORMULA_WINDOW = 365

/** One `FN(letter)` (or `FN(letter, p)`) term. */
export interface FormulaTerm {
  kind: 'term'
  fn: FormulaFunction
  eventIndex: number
  /** The percentage of PERCENTILE and FREQPERCENTILE (0–100); 0 for the others. */
  percentile: number
}

/** A parsed formula expression. */
export type FormulaNode =
  | { kind: 'number'; value: number }
  /** `FN(letter)`; `eventIndex` 0 for A (`e`), 1 for B (`e2`). */
  | FormulaTerm
  /** `CUMSUM(x)` (`intervals` 0), `ROLLAVG(x, n)`, `ROLLWIN(x, n)`. */
  | { kind: 'time'; fn: TimeFunction; operand: FormulaNode; intervals: number }
  | { kind: 'negate'; operand: FormulaNode }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/'; left: FormulaNode; right: FormulaNode }

/** One formula: its text as sent (for `seriesMeta`) and its tree. */
export interface Formula {
  text: string
  root: FormulaNode
}

/** Most formulas in one `formula` parameter (Amplitude plots up to ten on one chart). */
export const MAX_FORMULAS = 10

type Token =
  | { kind: 'number'; value: number }
  | { kind: 'name'; value: string }
  | { kind: 'punct'; value: string }

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  const pattern = /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/(),]))/y
  let index = 0
  while (index < text.length) {
    if (/^\s*$/.test(text.slice(index))) break
    pattern.lastIndex = index
    const match = pattern.exec(text)
    if (match === null)
      throw queryError(`Invalid parameter formula: unexpected ${JSON.stringify(text.slice(index))}`)
    index = pattern.lastIndex
    if (match[1] !== undefined) tokens.push({ kind: 'number', value: Number(match[1]) })
    else if (match[2] !== undefined) tokens.push({ kind: 'name', value: match[2] })
    else tokens.push({ kind: 'punct', value: match[3] as string })
  }
  return tokens
}

/** Parses one formula (no `;`). `eventCount`: how many events the query has (letters beyond are 400). */
export function parseFormula(text: string, eventCount: number): Formula {
  const tokens = tokenize(text)
  let position = 0
  const fail = (message: string): never => {
    throw queryError(`Invalid parameter formula: ${message} in ${JSON.stringify(text)}`)
  }
  const peek = () => tokens[position]
  const isPunct = (value: string) => {
    const token = peek()
    return token?.kind === 'punct' && token.value === value
  }
  const expect = (value: string) => {
    if (!isPunct(value)) fail(`expected "${value}"`)
    position++
  }

  function expression(): FormulaNode {
    let node = product()
    while (isPunct('+') || isPunct('-')) {
      const op = (tokens[position++] as { value: '+' | '-' }).value
      node = { kind: 'binary', op, left: node, right: product() }
    }
    return node
  }

  function product(): FormulaNode {
    let node = unary()
    while (isPunct('*') || isPunct('/')) {
      const op = (tokens[position++] as { value: '*' | '/' }).value
      node = { kind: 'binary', op, left: node, right: unary() }
    }
    return node
  }

  function unary(): FormulaNode {
    if (isPunct('-')) {
      position++
      return { kind: 'negate', operand: unary() }
    }
    if (isPunct('+')) {
      position++
      return unary()
    }
    return primary()
  }

  function primary(): FormulaNode {
    const token = peek()
    if (token === undefined) return fail('unexpected end')
    if (token.kind === 'number') {
      position++
      return { kind: 'number', value: token.value }
    }
    if (token.kind === 'punct') {
      if (token.value !== '(') return fail(`unexpected "${token.value}"`)
      position++
      const node = expression()
      expect(')')
      return node
    }
    position++
    const fn = token.value.toUpperCase()
    if ((TIME_FUNCTIONS as readonly string[]).includes(fn)) return timeCall(fn as TimeFunction)
    if (!(FORMULA_FUNCTIONS as readonly string[]).includes(fn))
      fail(
        `unsupported function ${token.value} (supported: ${[...FORMULA_FUNCTIONS, ...TIME_FUNCTIONS].join(', ')})`,
      )
    const takesPercentile = PERCENTILE_FUNCTIONS.has(fn)
    const shape = takesPercentile ? `${fn}(letter, percentile)` : `${fn}(letter)`
    expect('(')
    const letter = peek()
    if (letter?.kind !== 'name' || !/^[A-Za-z]$/.test(letter.value))
      return fail(`${fn} takes one event letter: ${shape}`)
    position++
    let percentile = 0
    if (takesPercentile) {
      if (!isPunct(',')) fail(`${fn} takes an event letter and a percentile: ${shape}`)
      position++
      percentile = numberArgument(fn, shape)
      if (percentile < 0 || percentile > 100)
        fail(`${fn} takes a percentile from 0 to 100, not ${percentile}`)
    }
    if (!isPunct(')'))
      fail(`${fn} takes ${takesPercentile ? 'two arguments' : 'one argument'}: ${shape}`)
    position++
    const eventIndex = letter.value.toUpperCase().charCodeAt(0) - 65
    if (eventIndex >= eventCount)
      fail(`event ${letter.value.toUpperCase()} is not in the query (A = e, B = e2)`)
    return { kind: 'term', fn: fn as FormulaFunction, eventIndex, percentile }
  }

  /** A number argument (an optional leading minus, so a negative one is named, not misparsed). */
  function numberArgument(fn: string, shape: string): number {
    const negative = isPunct('-')
    if (negative) position++
    const token = peek()
    if (token?.kind !== 'number') return fail(`${fn} takes a number there: ${shape}`)
    position++
    return negative ? -token.value : token.value
  }

  function timeCall(fn: TimeFunction): FormulaNode {
    const windowed = fn !== 'CUMSUM'
    const shape = windowed ? `${fn}(expression, intervals)` : `${fn}(expression)`
    expect('(')
    if (isPunct(')')) fail(`${fn} takes ${windowed ? 'two arguments' : 'one argument'}: ${shape}`)
    const operand = expression()
    let intervals = 0
    if (windowed) {
      if (!isPunct(',')) fail(`${fn} takes an expression and a number of intervals: ${shape}`)
      position++
      intervals = numberArgument(fn, shape)
      if (!Number.isInteger(intervals) || intervals < 1 || intervals > MAX_FORMULA_WINDOW)
        fail(
          `${fn} takes a whole number of intervals from 1 to ${MAX_FORMULA_WINDOW}, not ${intervals}`,
        )
    }
    if (!isPunct(')')) fail(`${fn} takes ${windowed ? 'two arguments' : 'one argument'}: ${shape}`)
    position++
    return { kind: 'time', fn, operand, intervals }
  }

  if (tokens.length === 0) fail('empty formula')
  const root = expression()
  if (position < tokens.length) fail('unexpected trailing input')
  return { text: text.trim(), root }
}

/** The formulas of a `formula` parameter (`;`-separated). */
export function parseFormulas(text: string, eventCount: number): Formula[] {
  const parts = text.split(';').filter((part) => part.trim() !== '')
  if (parts.length === 0) throw queryError('Invalid parameter formula: empty')
  if (parts.length > MAX_FORMULAS)
    throw queryError(`Invalid parameter formula: at most ${MAX_FORMULAS} formulas`)
  return parts.map((part) => parseFormula(part, eventCount))
}

/** Every `FN(letter)` term of a formula. */
export function formulaTerms(node: FormulaNode): FormulaTerm[] {
  switch (node.kind) {
    case 'number':
      return []
    case 'term':
      return [node]
    case 'negate':
    case 'time':
      return formulaTerms(node.operand)
    case 'binary':
      return [...formulaTerms(node.left), ...formulaTerms(node.right)]
  }
}

/** Every `ROLLWIN` window a formula uses (each is one more aggregate pass). */
export function formulaWindows(node: FormulaNode): number[] {
  switch (node.kind) {
    case 'number':
    case 'term':
      return []
    case 'negate':
      return formulaWindows(node.operand)
    case 'time':
      return [...(node.fn === 'ROLLWIN' ? [node.intervals] : []), ...formulaWindows(node.operand)]
    case 'binary':
      return [...formulaWindows(node.left), ...formulaWindows(node.right)]
  }
}

/**
 * How many intervals before a shown one the formula reads, given that a term outside any
 * `ROLLWIN` aggregates over `termWindow` intervals (`rollingWindow`). The scan starts that far
 * back, so the first points roll over real data.
 */
export function formulaReach(node: FormulaNode, termWindow: number): number {
  switch (node.kind) {
    case 'number':
      return 0
    case 'term':
      return termWindow - 1
    case 'negate':
      return formulaReach(node.operand, termWindow)
    case 'time':
      if (node.fn === 'ROLLWIN') return formulaReach(node.operand, node.intervals)
      if (node.fn === 'ROLLAVG') return node.intervals - 1 + formulaReach(node.operand, termWindow)
      return formulaReach(node.operand, termWindow)
    case 'binary':
      return Math.max(formulaReach(node.left, termWindow), formulaReach(node.right, termWindow))
  }
}

/** A quotient that is 0 when the divisor is 0 (an empty bucket charts as 0, not as a gap). */
export function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator
}

/** What a formula is evaluated over. */
export interface FormulaInputs {
  /**
   * A term's value at bucket `index` (`undefined`: over the whole range), read from the
   * aggregates of `window` intervals (`undefined`: the query's own, else a `ROLLWIN`'s).
   */
  term(term: FormulaTerm, index: number | undefined, window: number | undefined): number
  /** The bucket index of the range's first interval (where `CUMSUM` starts). */
  firstIndex: number
}

/**
 * The operand values a time operator has read, per inputs (one series): nested ROLLAVG/CUMSUM
 * would otherwise re-evaluate their operands n times over at every level.
 */
const operandCache = new WeakMap<FormulaInputs, Map<FormulaNode, Map<string, number>>>()

function operandAt(
  node: FormulaNode,
  inputs: FormulaInputs,
  index: number,
  window: number | undefined,
): number {
  let byNode = operandCache.get(inputs)
  if (byNode === undefined) {
    byNode = new Map()
    operandCache.set(inputs, byNode)
  }
  let values = byNode.get(node)
  if (values === undefined) {
    values = new Map()
    byNode.set(node, values)
  }
  const key = `${index}:${window ?? ''}`
  let value = values.get(key)
  if (value === undefined) {
    value = evaluateFormula(node, inputs, index, window)
    values.set(key, value)
  }
  return value
}

/**
 * Evaluates a formula at bucket `index` (`undefined`: over the whole range). Division by zero
 * gives 0, like `ratio`.
 */
export function evaluateFormula(
  node: FormulaNode,
  inputs: FormulaInputs,
  index: number | undefined,
  window: number | undefined = undefined,
): number {
  const at = (operand: FormulaNode, i: number | undefined) =>
    evaluateFormula(operand, inputs, i, window)
  switch (node.kind) {
    case 'number':
      return node.value
    case 'term':
      return inputs.term(node, index, window)
    case 'negate':
      return -at(node.operand, index)
    case 'time': {
      if (node.fn === 'ROLLWIN') return evaluateFormula(node.operand, inputs, index, node.intervals)
      if (index === undefined) return at(node.operand, undefined)
      let total = 0
      // CUMSUM runs from the range's first interval; before it (read by an outer ROLLAVG) it is 0.
      const from =
        node.fn === 'CUMSUM' ? inputs.firstIndex : Math.max(0, index - node.intervals + 1)
      for (let i = from; i <= index; i++) total += operandAt(node.operand, inputs, i, window)
      // Like `rollingAverage`, the mean is over the points that exist (the scan reaches back far
      // enough for every shown point to have all n).
      return node.fn === 'CUMSUM' ? total : total / (index - from + 1)
    }
    case 'binary': {
      const left = at(node.left, index)
      const right = at(node.right, index)
      switch (node.op) {
        case '+':
          return left + right
        case '-':
          return left - right
        case '*':
          return left * right
        case '/':
          return ratio(left, right)
      }
    }
  }
}
