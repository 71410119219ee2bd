import { Identify as OfficialIdentify, Revenue as OfficialRevenue } from '@amplitude/analytics-node'
import { describe, expect, it } from 'vitest'
import { Identify, Revenue } from '../src/index.ts'

type IdentifyLike = Pick<
  Identify,
  | 'set'
  | 'setOnce'
  | 'add'
  | 'append'
  | 'prepend'
  | 'preInsert'
  | 'postInsert'
  | 'remove'
  | 'unset'
  | 'clearAll'
  | 'getUserProperties'
>

const scripts: Array<[string, (id: IdentifyLike) => void]> = [
  [
    'every operation once',
    (id) => {
      id.set('plan', 'pro')
        .setOnce('first_seen', '2026-01-01')
        .add('logins', 1)
        .append('tags', 'a')
        .prepend('recent', ['x', 'y'])
        .preInsert('pre', 1)
        .postInsert('post', 2)
        .remove('old', 'z')
        .unset('legacy')
    },
  ],
  ['a property used twice keeps its first operation', (id) => id.set('plan', 'pro').add('plan', 3)],
  ['operations after clearAll are ignored', (id) => id.set('a', 1).clearAll().set('b', 2)],
  ['add with a string is ignored', (id) => id.add('count', '3' as unknown as number)],
  [
    'invalid values are skipped',
    (id) =>
      id
        .set('nullish', null as unknown as string)
        .set('nested', [[1]] as unknown as number[])
        .set('bools', [true] as unknown as number[])
        .set('object', { a: { b: 1 } })
        .set('objects', [{ a: 1 }]),
  ],
]

describe('Identify', () => {
  it.each(scripts)('builds what the official builder builds: %s', (_name, script) => {
    const ours = new Identify()
    const official = new OfficialIdentify()
    script(ours)
    script(official as unknown as IdentifyLike)
    expect(ours.getUserProperties()).toEqual(official.getUserProperties())
  })

  it('returns the builder for chaining', () => {
    const identify = new Identify()
    expect(identify.set('a', 1)).toBe(identify)
  })
})

describe('Revenue', () => {
  it('builds what the official builder builds', () => {
    const build = (r: Revenue | OfficialRevenue) =>
      r
        .setProductId('sku-1')
        .setQuantity(3)
        .setPrice(9.99)
        .setRevenueType('purchase')
        .setCurrency('EUR')
        .setRevenue(29.97)
        .setReceipt('r')
        .setReceiptSig('s')
        .setEventProperties({ coupon: 'SPRING', skip: undefined as unknown as string })
        .getEventProperties()
    expect(build(new Revenue())).toEqual(build(new OfficialRevenue()))
  })

  it('defaults to quantity 1 and price 0 and ignores a non-positive quantity', () => {
    const properties = new Revenue().setQuantity(0).getEventProperties()
    expect(properties).toMatchObject({ $quantity: 1, $price: 0, $productId: '' })
  })

  it('ignores invalid event properties as a whole', () => {
    const properties = new Revenue()
      .setEventProperties({ bad: [[1]] as unknown as number[] })
      .getEventProperties()
    expect(properties).not.toHaveProperty('bad')
  })
})
