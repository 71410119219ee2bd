import { applyUserProperties } from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'

describe('applyUserProperties', () => {
  it('$set overwrites and $setOnce only fills a missing value', () => {
    const after = applyUserProperties(
      { plan: 'free', source: 'ads' },
      { $set: { plan: 'pro' }, $setOnce: { source: 'email', firstSeen: '2024-01-01' } },
    )
    expect(after).toEqual({ plan: 'pro', source: 'ads', firstSeen: '2024-01-01' })
  })

  it('$add adds to numbers, starts from 0 and accepts negative deltas', () => {
    expect(
      applyUserProperties({ logins: 3, credits: 10 }, { $add: { logins: 1, credits: -4, new: 2 } }),
    ).toEqual({ logins: 4, credits: 6, new: 2 })
  })

  it('$add accepts numeric strings and leaves non-numeric values as they are', () => {
    expect(applyUserProperties({ n: '5', s: 'abc' }, { $add: { n: '2', s: 1 } })).toEqual({
      n: 7,
      s: 'abc',
    })
  })

  it('$append and $prepend turn a scalar into a list and keep duplicates', () => {
    expect(
      applyUserProperties(
        { tags: 'a', list: ['x'] },
        { $append: { tags: ['b', 'a'] }, $prepend: { list: ['y', 'x'], fresh: 1 } },
      ),
    ).toEqual({ tags: ['a', 'b', 'a'], list: ['y', 'x', 'x'], fresh: [1] })
  })

  it('$preInsert and $postInsert skip values already present and keep array order', () => {
    expect(
      applyUserProperties(
        { a: ['x', 'y'], b: ['x'] },
        { $preInsert: { a: ['w', 'x', 'v'] }, $postInsert: { b: ['x', 'z', 'z'] } },
      ),
    ).toEqual({ a: ['w', 'v', 'x', 'y'], b: ['x', 'z'] })
  })

  it('$remove removes every instance of each value', () => {
    expect(
      applyUserProperties({ a: ['x', 'y', 'x', 'z'] }, { $remove: { a: ['x', 'z'] } }),
    ).toEqual({ a: ['y'] })
  })

  it('$unset deletes and $clearAll deletes everything before the other operations', () => {
    expect(applyUserProperties({ a: 1, b: 2 }, { $unset: { a: '-' } })).toEqual({ b: 2 })
    expect(
      applyUserProperties({ a: 1, b: 2 }, { $clearAll: '-', $set: { c: 3 } } as never),
    ).toEqual({ c: 3 })
  })

  it('applies operations in Amplitude order, not the order of the keys', () => {
    // $unset runs before $set, so the property ends set even though $set is written first.
    expect(applyUserProperties({}, { $set: { a: 1 }, $unset: { b: '-' }, $add: { c: 1 } })).toEqual(
      { a: 1, c: 1 },
    )
  })

  it('lets the first operation on a property win within one identify', () => {
    expect(applyUserProperties({ n: 1 }, { $add: { n: 5 }, $set: { n: 100 } })).toEqual({ n: 100 })
  })

  it('treats an object without operations as $set and plain keys next to operations as a later $set', () => {
    expect(applyUserProperties({ a: 1 }, { b: 2 })).toEqual({ a: 1, b: 2 })
    expect(applyUserProperties({}, { $add: { n: 1 }, plan: 'paid' })).toEqual({
      n: 1,
      plan: 'paid',
    })
  })

  it('never modifies the profile it is given', () => {
    const current = { list: ['a'] }
    applyUserProperties(current, { $append: { list: 'b' } })
    expect(current).toEqual({ list: ['a'] })
  })
})
