/**
 * @module The in-memory identity state of every project: user and device id maps, user profiles and
 * group profiles. Pure (no I/O): ingestion mutates it and collects what changed, and the store writes
 * the changes through to DuckDB in the same transaction as the events. At open it is rebuilt from the
 * tables, so it is a cache of the database, never the only copy.
 */
import { applyUserProperties, type Properties } from '@ampkit/protocol'

/** Identify API fields kept on a profile (device, location, `paying`, `start_version`, …). */
export type IdentifyFields = { [field: string]: string | number | boolean | null }

/** A user profile, keyed by Amplitude id. */
export interface UserProfile {
  projectId: number
  amplitudeId: number
  /** Null while the profile is anonymous (seen only through a device id). */
  userId: string | null
  properties: Properties
  /** User-level groups from `$identify` / Identify API (type → value(s)). */
  groups: { [groupType: string]: string | string[] }
  /** Device ids seen with this user, in first-seen order. */
  deviceIds: string[]
  /** Anonymous Amplitude ids merged into this one. */
  mergedAmplitudeIds: number[]
  /** The Amplitude id this one was merged into, when merged. */
  mergedInto: number | null
  /** `event_time` of the first event (`user_creation_time`). */
  firstEventTimeMs: number | null
  /** Fields set by the Identify API, with the event `seq` at which they were set. */
  identifyFields: IdentifyFields
  identifySeq: number
  /** Persistence version: the row with the highest version is the current one. */
  version: number
  /** Cached `JSON.stringify(properties)`; undefined after a change. */
  propertiesJson: string | undefined
}

/** A group profile. */
export interface GroupProfile {
  projectId: number
  groupType: string
  groupValue: string
  properties: Properties
  version: number
}

/** Everything that changed since the last `takeChanges()`. */
export interface ProfileChanges {
  users: UserProfile[]
  userIds: { projectId: number; userId: string; amplitudeId: number; version: number }[]
  deviceIds: { projectId: number; deviceId: string; amplitudeId: number; version: number }[]
  groups: GroupProfile[]
}

/** Amplitude ids start here so they look like Amplitude's (large, opaque integers). */
export const FIRST_AMPLITUDE_ID = 100_000_000_001

const SEP = '\u0000'

/** Id → Amplitude id, one map per project (no per-lookup key strings on the hot path). */
class IdMap {
  readonly #byProject = new Map<number, Map<string, number>>()

  get(projectId: number, id: string): number | undefined {
    return this.#byProject.get(projectId)?.get(id)
  }

  set(projectId: number, id: string, amplitudeId: number): void {
    let map = this.#byProject.get(projectId)
    if (map === undefined) {
      map = new Map()
      this.#byProject.set(projectId, map)
    }
    map.set(id, amplitudeId)
  }

  entries(projectId: number): IterableIterator<[string, number]> | [] {
    return this.#byProject.get(projectId)?.entries() ?? []
  }
}

function groupKey(projectId: number, groupType: string, groupValue: string): string {
  return `${projectId}${SEP}${groupType}${SEP}${groupValue}`
}

/** The identity state and its pending changes. */
export class ProfileBook {
  readonly profiles = new Map<number, UserProfile>()
  readonly #userIds = new IdMap()
  readonly #deviceIds = new IdMap()
  readonly #groups = new Map<string, GroupProfile>()
  #nextAmplitudeId: number
  #nextVersion: number
  #dirtyUsers = new Set<UserProfile>()
  #dirtyGroups = new Set<GroupProfile>()
  #userIdChanges: ProfileChanges['userIds'] = []
  #deviceIdChanges: ProfileChanges['deviceIds'] = []

  constructor(nextAmplitudeId = FIRST_AMPLITUDE_ID, nextVersion = 1) {
    this.#nextAmplitudeId = nextAmplitudeId
    this.#nextVersion = nextVersion
  }

  // ---- loading (from the tables at open; marks nothing dirty) ----

  loadProfile(profile: UserProfile): void {
    this.profiles.set(profile.amplitudeId, profile)
    this.#bump(profile.amplitudeId, profile.version)
  }

  loadUserId(projectId: number, userId: string, amplitudeId: number, version: number): void {
    this.#userIds.set(projectId, userId, amplitudeId)
    this.#bump(amplitudeId, version)
  }

  loadDeviceId(projectId: number, deviceId: string, amplitudeId: number, version: number): void {
    this.#deviceIds.set(projectId, deviceId, amplitudeId)
    this.#bump(amplitudeId, version)
  }

  loadGroup(group: GroupProfile): void {
    this.#groups.set(groupKey(group.projectId, group.groupType, group.groupValue), group)
    this.#nextVersion = Math.max(this.#nextVersion, group.version + 1)
  }

  /** The highest Amplitude id issued or reserved so far (`FIRST_AMPLITUDE_ID - 1` when none). */
  get highestAmplitudeId(): number {
    return this.#nextAmplitudeId - 1
  }

  /** Makes the next new Amplitude id greater than `maxUsed`. */
  reserveAmplitudeIds(maxUsed: number): void {
    this.#nextAmplitudeId = Math.max(this.#nextAmplitudeId, maxUsed + 1)
  }

  #bump(amplitudeId: number, version: number): void {
    this.#nextAmplitudeId = Math.max(this.#nextAmplitudeId, amplitudeId + 1)
    this.#nextVersion = Math.max(this.#nextVersion, version + 1)
  }

  // ---- lookups ----

  /** The profile an Amplitude id stands for now (following merges), if known. */
  canonical(amplitudeId: number): UserProfile | undefined {
    let profile = this.profiles.get(amplitudeId)
    for (let hops = 0; profile?.mergedInto != null && hops < 64; hops++) {
      profile = this.profiles.get(profile.mergedInto)
    }
    return profile
  }

  amplitudeIdOfUser(projectId: number, userId: string): number | undefined {
    return this.#userIds.get(projectId, userId)
  }

  amplitudeIdOfDevice(projectId: number, deviceId: string): number | undefined {
    return this.#deviceIds.get(projectId, deviceId)
  }

  /** Profiles of a project whose user id starts with `prefix` (at most `limit`). */
  findUserIdPrefix(projectId: number, prefix: string, limit: number): UserProfile[] {
    const out: UserProfile[] = []
    for (const [userId, amplitudeId] of this.#userIds.entries(projectId)) {
      if (!userId.startsWith(prefix)) continue
      const profile = this.canonical(amplitudeId)
      if (profile !== undefined && !out.includes(profile)) out.push(profile)
      if (out.length >= limit) break
    }
    return out
  }

  group(projectId: number, groupType: string, groupValue: string): GroupProfile | undefined {
    return this.#groups.get(groupKey(projectId, groupType, groupValue))
  }

  // ---- mutations ----

  /** Marks a profile changed (its next version is written with the current batch). */
  touch(profile: UserProfile): void {
    if (this.#dirtyUsers.has(profile)) return
    profile.version = this.#nextVersion++
    this.#dirtyUsers.add(profile)
  }

  /** Properties changed: drop the cached JSON and mark the profile dirty. */
  setProperties(profile: UserProfile, properties: Properties): void {
    profile.properties = properties
    profile.propertiesJson = undefined
    this.touch(profile)
  }

  /** `JSON.stringify(profile.properties)`, cached until the next change. */
  propertiesJson(profile: UserProfile): string {
    profile.propertiesJson ??= JSON.stringify(profile.properties)
    return profile.propertiesJson
  }

  #newProfile(projectId: number, userId: string | null): UserProfile {
    const profile: UserProfile = {
      projectId,
      amplitudeId: this.#nextAmplitudeId++,
      userId,
      properties: {},
      groups: {},
      deviceIds: [],
      mergedAmplitudeIds: [],
      mergedInto: null,
      firstEventTimeMs: null,
      identifyFields: {},
      identifySeq: 0,
      version: 0,
      propertiesJson: '{}',
    }
    this.profiles.set(profile.amplitudeId, profile)
    this.touch(profile)
    if (userId !== null) this.#mapUser(projectId, userId, profile.amplitudeId)
    return profile
  }

  #mapUser(projectId: number, userId: string, amplitudeId: number): void {
    this.#userIds.set(projectId, userId, amplitudeId)
    this.#userIdChanges.push({ projectId, userId, amplitudeId, version: this.#nextVersion++ })
  }

  #mapDevice(profile: UserProfile, deviceId: string): void {
    if (this.#deviceIds.get(profile.projectId, deviceId) !== profile.amplitudeId) {
      this.#deviceIds.set(profile.projectId, deviceId, profile.amplitudeId)
      this.#deviceIdChanges.push({
        projectId: profile.projectId,
        deviceId,
        amplitudeId: profile.amplitudeId,
        version: this.#nextVersion++,
      })
    }
    if (!profile.deviceIds.includes(deviceId)) {
      profile.deviceIds.push(deviceId)
      this.touch(profile)
    }
  }

  /**
   * Merges an anonymous profile into an identified one, as Amplitude does when a device first seen
   * anonymously shows up with a known user id: the anonymous id becomes one of the user's
   * `merged_amplitude_ids` and its devices map to the user. The user's properties are kept as they are
   * (how Amplitude combines the two property sets is unconfirmed; we never overwrite the user's).
   */
  #merge(anonymous: UserProfile, into: UserProfile): void {
    anonymous.mergedInto = into.amplitudeId
    this.touch(anonymous)
    into.mergedAmplitudeIds.push(anonymous.amplitudeId, ...anonymous.mergedAmplitudeIds)
    if (into.firstEventTimeMs === null) into.firstEventTimeMs = anonymous.firstEventTimeMs
    else if (anonymous.firstEventTimeMs !== null)
      into.firstEventTimeMs = Math.min(into.firstEventTimeMs, anonymous.firstEventTimeMs)
    this.touch(into)
    for (const deviceId of anonymous.deviceIds) this.#mapDevice(into, deviceId)
  }

  /**
   * The profile an event or identify with these ids belongs to, created when new.
   * - A known user id wins; its device (if new or anonymous) is mapped to, or merged into, the user.
   * - A new user id on a device seen only anonymously claims that device's profile.
   * - A new user id on a device of another user creates a new user ("changing an existing user_id
   *   creates a new user"); the device then maps to the newest user, so later device-only events go
   *   to whoever used the device last (unconfirmed, the robust reading).
   * - A device id alone maps to its profile or creates an anonymous one.
   */
  resolve(projectId: number, userId: string | undefined, deviceId: string | undefined) {
    if (userId !== undefined) {
      const known = this.amplitudeIdOfUser(projectId, userId)
      if (known !== undefined) {
        const profile = this.canonical(known)!
        if (deviceId !== undefined) this.#attachDevice(profile, deviceId)
        return profile
      }
      if (deviceId !== undefined) {
        const deviceAid = this.amplitudeIdOfDevice(projectId, deviceId)
        const deviceProfile = deviceAid === undefined ? undefined : this.canonical(deviceAid)
        if (deviceProfile !== undefined && deviceProfile.userId === null) {
          deviceProfile.userId = userId
          this.touch(deviceProfile)
          this.#mapUser(projectId, userId, deviceProfile.amplitudeId)
          return deviceProfile
        }
      }
      const profile = this.#newProfile(projectId, userId)
      if (deviceId !== undefined) this.#mapDevice(profile, deviceId)
      return profile
    }
    if (deviceId !== undefined) {
      const deviceAid = this.amplitudeIdOfDevice(projectId, deviceId)
      const existing = deviceAid === undefined ? undefined : this.canonical(deviceAid)
      if (existing !== undefined) return existing
      const profile = this.#newProfile(projectId, null)
      this.#mapDevice(profile, deviceId)
      return profile
    }
    return undefined
  }

  #attachDevice(profile: UserProfile, deviceId: string): void {
    const deviceAid = this.amplitudeIdOfDevice(profile.projectId, deviceId)
    if (deviceAid === profile.amplitudeId) return
    const deviceProfile = deviceAid === undefined ? undefined : this.canonical(deviceAid)
    if (deviceProfile !== undefined && deviceProfile !== profile && deviceProfile.userId === null) {
      this.#merge(deviceProfile, profile)
      return
    }
    this.#mapDevice(profile, deviceId)
  }

  /** Applies `$identify` operations (or plain properties as `$set`); true when anything changed. */
  applyUserProperties(profile: UserProfile, update: Readonly<Record<string, unknown>>): boolean {
    const next = applyUserProperties(profile.properties, update)
    const before = this.propertiesJson(profile)
    const after = JSON.stringify(next)
    if (after === before) return false
    this.setProperties(profile, next)
    profile.propertiesJson = after
    return true
  }

  /** Sets user-level groups: a type can be overwritten, never unset (ingestion-api.md §3). */
  setUserGroups(profile: UserProfile, groups: Readonly<Record<string, unknown>>): void {
    let changed = false
    for (const [type, value] of Object.entries(groups)) {
      if (typeof value === 'string' || (Array.isArray(value) && value.length > 0)) {
        if (JSON.stringify(profile.groups[type]) === JSON.stringify(value)) continue
        profile.groups[type] = Array.isArray(value) ? value.map(String) : value
        changed = true
      }
    }
    if (changed) this.touch(profile)
  }

  /** Applies `group_properties` operations to one group, created when new. */
  applyGroupProperties(
    projectId: number,
    groupType: string,
    groupValue: string,
    update: Readonly<Record<string, unknown>>,
  ): GroupProfile {
    const key = groupKey(projectId, groupType, groupValue)
    let group = this.#groups.get(key)
    if (group === undefined) {
      group = { projectId, groupType, groupValue, properties: {}, version: 0 }
      this.#groups.set(key, group)
    }
    group.properties = applyUserProperties(group.properties, update)
    if (!this.#dirtyGroups.has(group)) {
      group.version = this.#nextVersion++
      this.#dirtyGroups.add(group)
    }
    return group
  }

  /** Returns and clears the pending changes (the rows to write with the current batch). */
  takeChanges(): ProfileChanges {
    const changes: ProfileChanges = {
      users: [...this.#dirtyUsers],
      userIds: this.#userIdChanges,
      deviceIds: this.#deviceIdChanges,
      groups: [...this.#dirtyGroups],
    }
    this.#dirtyUsers = new Set()
    this.#dirtyGroups = new Set()
    this.#userIdChanges = []
    this.#deviceIdChanges = []
    return changes
  }
}
