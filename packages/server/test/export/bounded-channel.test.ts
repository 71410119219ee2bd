import { describe, expect, it } from 'vitest'
import { BoundedChannel } from '../../src/export/bounded-channel.ts'

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('bounded channel', () => {
  it('hands items over in order and ends after close', async () => {
    const channel = new BoundedChannel<{ n: number }>(2)
    const producing = (async () => {
      for (let n = 0; n < 5; n++) await channel.push({ n })
      channel.close()
    })()
    const seen: number[] = []
    for await (const item of channel) seen.push(item.n)
    await producing
    expect(seen).toEqual([0, 1, 2, 3, 4])
  })

  it('makes the producer wait while it holds its capacity, until the consumer takes one', async () => {
    const channel = new BoundedChannel<{ n: number }>(2)
    let pushed = 0
    void (async () => {
      for (let n = 0; n < 4; n++) {
        await channel.push({ n })
        pushed++
      }
    })()
    await tick()
    expect(pushed).toBe(2)
    const iterator = channel[Symbol.asyncIterator]()
    expect((await iterator.next()).value).toEqual({ n: 0 })
    await tick()
    expect(pushed).toBe(3)
  })

  it('wakes a waiting producer with the failure, and the consumer throws it', async () => {
    const channel = new BoundedChannel<{ n: number }>(1)
    await channel.push({ n: 0 })
    const blocked = channel.push({ n: 1 })
    channel.fail(new Error('scan failed'))
    await expect(blocked).rejects.toThrow('scan failed')
    await expect(channel.push({ n: 2 })).rejects.toThrow('scan failed')
    const iterator = channel[Symbol.asyncIterator]()
    await expect(iterator.next()).rejects.toThrow('scan failed')
  })

  it('lets a consumer already waiting see the failure', async () => {
    const channel = new BoundedChannel<{ n: number }>(1)
    const iterator = channel[Symbol.asyncIterator]()
    const waiting = iterator.next()
    await tick()
    channel.fail(new Error('gone'))
    await expect(waiting).rejects.toThrow('gone')
  })
})
