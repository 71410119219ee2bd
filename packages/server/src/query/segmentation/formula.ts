/**
 * @module Custom formulas of `m=formula` (analytics-semantics.md §1.2): `UNIQUES(A)/UNIQUES(B)`.
 * Letters name the events in order (A = `e`, B = `e2`); functions are case-insensitive, as in
 * Amplitude's formula syntax; several formulas are separated by `;`. The supported functions are
 * the ones whose inputs the segmentation aggregates carry; any other is a 400 naming it.
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
] as const
export type FormulaFunction = (typeof FORMULA_FUNCTIONS)[number]

/** A parsed formula expression. */
export type FormulaNode =
  | { kind: 'number'; value: number }
  /** `FN(letter)`; `eventIndex` 0 for A (`e`), 1 for B (`e2`). */
  | { kind: 'term'; fn: FormulaFunction; eventIndex: number }
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
    if (!(FORMULA_FUNCTIONS as readonly string[]).includes(fn))
      fail(`unsupported function ${token.value} (supported: ${FORMULA_FUNCTIONS.join(', ')})`)
    expect('(')
    const letter = peek()
    if (letter?.kind !== 'name' || !/^[A-Za-z]$/.test(letter.value))
      return fail(`${fn} takes one event letter`)
    position++
    expect(')')
    const eventIndex = letter.value.toUpperCase().charCodeAt(0) - 65
    if (eventIndex >= eventCount)
      fail(`event ${letter.value.toUpperCase()} is not in the query (A = e, B = e2)`)
    return { kind: 'term', fn: fn as FormulaFunction, eventIndex }
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
export function formulaTerms(node: FormulaNode): { fn: FormulaFunction; eventIndex: number }[] {
  switch (node.kind) {
    case 'number':
      return []
    case 'term':
      return [{ fn: node.fn, eventIndex: node.eventIndex }]
    case 'negate':
      return formulaTerms(node.operand)
    case 'binary':
      return [...formulaTerms(node.left), ...formulaTerms(node.right)]
  }
}

/** A quotient that is 0 when the divisor is 0 (an empty bucket charts as 0, not as a gap). */
export function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator
}

/** Evaluates a formula given each term's value. Division by zero gives 0, like `ratio`. */
export function evaluateFormula(
  node: FormulaNode,
  term: (fn: FormulaFunction, eventIndex: number) => number,
): number {
  switch (node.kind) {
    case 'number':
      return node.value
    case 'term':
      return term(node.fn, node.eventIndex)
    case 'negate':
      return -evaluateFormula(node.operand, term)
    case 'binary': {
      const left = evaluateFormula(node.left, term)
      const right = evaluateFormula(node.right, term)
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
