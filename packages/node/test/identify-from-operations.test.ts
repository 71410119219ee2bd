import { describe, expect, it } from 'vitest'
import { identifyFromOperations } from '../src/index.ts'

describe('identifyFromOperations', () => {
  it('builds the same user properties the builder would, operation by operation', () => {
    const { identify, problems } = identifyFromOperations({
      $add: { logins: 1 },
      $set: { plan: 'pro' },
      $setOnce: { firstSeen: '2026-11-01' },
      $postInsert: { tags: ['a'] },
      $unset: { trial: '-' },
    })
    expect(problems).toEqual([])
    expect(identify?.getUserProperties()).toEqual({
      $set: { plan: 'pro' },
      $setOnce: { firstSeen: '2026-11-01' },
      $add: { logins: 1 },
      $postInsert: { tags: ['a'] },
      $unset: { trial: '-' },
    })
  })

  it('takes $clearAll with the wire value "-"', () => {
    expect(identifyFromOperations({ $clearAll: '-' }).identify?.getUserProperties()).toEqual({
      $clearAll: '-',
    })
  })

  it('names what it leaves out instead of sending it', () => {
    const { identify, problems } = identifyFromOperations({
      $set: { plan: 'pro' },
      $add: { logins: 'one' },
      $append: 'not a bag',
      $rename: { a: 'b' },
    })
    expect(identify?.getUserProperties()).toEqual({ $set: { plan: 'pro' } })
    expect(problems).toEqual([
      "unknown operation '$rename' (one of $clearAll, $unset, $set, $setOnce, $add, $append, $prepend, $preInsert, $postInsert, $remove)",
      '$add logins must be a number',
      '$append must map property names to values',
    ])
  })

  it('gives no builder for a payload without operations', () => {
    expect(identifyFromOperations({}).identify).toBeUndefined()
  })
})
