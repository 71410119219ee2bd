/**
 * A Store that records what the routes hand it, for tests of the HTTP surface that need to see the
 * exact calls (and, with `failWith`, to make the store fail). Data tests use the DuckDB store.
 */
import type { GroupIdentification, Identification, WireEvent } from '@ampkit/protocol'
import type {
  IngestContext,
  IngestOutcome,
  Store,
  UserActivityQuery,
  UserActivityResult,
  UserSearchResult,
} from '../../src/store/store.ts'

export class RecordingStore implements Store {
  readonly events: Array<{ event: WireEvent; context: IngestContext }> = []
  readonly identifications: Array<{ identification: Identification; context: IngestContext }> = []
  readonly groups: Array<{ identification: GroupIdentification; context: IngestContext }> = []
  readonly attributions: Array<{ event: WireEvent; context: IngestContext }> = []
  readonly searches: Array<{ projectId: number; query: string }> = []
  readonly activityQueries: Array<{ projectId: number; query: UserActivityQuery }> = []
  closed = false
  /** When set, every write rejects with it. */
  failWith: Error | undefined
  /** When set, writes wait for it. */
  gate: Promise<void> | undefined

  async ingestEvents(events: readonly WireEvent[], context: IngestContext): Promise<IngestOutcome> {
    await this.gate
    if (this.failWith) throw this.failWith
    for (const event of events) this.events.push({ event, context })
    return { ingested: events.length, duplicates: 0 }
  }

  async identify(list: readonly Identification[], context: IngestContext): Promise<void> {
    await this.gate
    if (this.failWith) throw this.failWith
    for (const identification of list) this.identifications.push({ identification, context })
  }

  async groupIdentify(list: readonly GroupIdentification[], context: IngestContext): Promise<void> {
    await this.gate
    if (this.failWith) throw this.failWith
    for (const identification of list) this.groups.push({ identification, context })
  }

  async attribution(event: WireEvent, context: IngestContext): Promise<void> {
    await this.gate
    if (this.failWith) throw this.failWith
    this.attributions.push({ event, context })
  }

  async searchUsers(projectId: number, query: string): Promise<UserSearchResult> {
    this.searches.push({ projectId, query })
    return { type: 'nomatch', matches: [] }
  }

  async userActivity(
    projectId: number,
    query: UserActivityQuery,
  ): Promise<UserActivityResult | undefined> {
    this.activityQueries.push({ projectId, query })
    if (query.amplitudeId !== 42) return undefined
    return { userData: { canonical_amplitude_id: 42 }, events: [], metadata: {} }
  }

  async groupProperties(): Promise<Record<string, unknown> | undefined> {
    return undefined
  }

  async close(): Promise<void> {
    this.closed = true
  }
}
