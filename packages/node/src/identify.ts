/**
 * @module The `Identify` builder, method for method as in `@amplitude/analytics-node`: one operation
 * per property (the first wins), nothing after `clearAll()`, `add` takes numbers only.
 */
import { IDENTIFY_OPERATIONS } from '@ampkit/protocol'
import {
  IdentifyOperation,
  type IdentifyUserProperties,
  type ValidPropertyType,
} from './event-types.ts'
import { isValidProperties } from './valid-properties.ts'

/** The value Amplitude sends for `$unset` and `$clearAll`. */
const UNSET_VALUE = '-'

/** The builder interface, as Amplitude's `IIdentify`. */
export interface IIdentify {
  getUserProperties(): IdentifyUserProperties
  set(property: string, value: ValidPropertyType): IIdentify
  setOnce(property: string, value: ValidPropertyType): IIdentify
  append(property: string, value: ValidPropertyType): IIdentify
  prepend(property: string, value: ValidPropertyType): IIdentify
  postInsert(property: string, value: ValidPropertyType): IIdentify
  preInsert(property: string, value: ValidPropertyType): IIdentify
  remove(property: string, value: ValidPropertyType): IIdentify
  add(property: string, value: number): IIdentify
  unset(property: string): IIdentify
  clearAll(): IIdentify
}

/** Builds the user-property operations of an identify or group identify. */
export class Identify implements IIdentify {
  protected readonly _propertySet = new Set<string>()
  protected _properties: IdentifyUserProperties = {}

  /** A shallow copy of the operations built so far. */
  getUserProperties(): IdentifyUserProperties {
    return { ...this._properties }
  }

  set(property: string, value: ValidPropertyType): Identify {
    this._safeSet(IdentifyOperation.SET, property, value)
    return this
  }

  setOnce(property: string, value: ValidPropertyType): Identify {
    this._safeSet(IdentifyOperation.SET_ONCE, property, value)
    return this
  }

  append(property: string, value: ValidPropertyType): Identify {
    this._safeSet(IdentifyOperation.APPEND, property, value)
    return this
  }

  prepend(property: string, value: ValidPropertyType): Identify {
    this._safeSet(IdentifyOperation.PREPEND, property, value)
    return this
  }

  postInsert(property: string, value: ValidPropertyType): Identify {
    this._safeSet(IdentifyOperation.POSTINSERT, property, value)
    return this
  }

  preInsert(property: string, value: ValidPropertyType): Identify {
    this._safeSet(IdentifyOperation.PREINSERT, property, value)
    return this
  }

  remove(property: string, value: ValidPropertyType): Identify {
    this._safeSet(IdentifyOperation.REMOVE, property, value)
    return this
  }

  add(property: string, value: number): Identify {
    this._safeSet(IdentifyOperation.ADD, property, value)
    return this
  }

  unset(property: string): Identify {
    this._safeSet(IdentifyOperation.UNSET, property, UNSET_VALUE)
    return this
  }

  /** Unsets every user property; operations added afterwards are ignored, as in Amplitude's SDK. */
  clearAll(): Identify {
    this._properties = { $clearAll: UNSET_VALUE }
    return this
  }

  private _safeSet(operation: IdentifyOperation, property: string, value: unknown): boolean {
    if (!this._validate(operation, property, value)) return false
    const properties = this._properties as Record<string, Record<string, unknown>>
    let map = properties[operation]
    if (map === undefined) {
      map = {}
      properties[operation] = map
    }
    map[property] = value
    this._propertySet.add(property)
    return true
  }

  private _validate(operation: IdentifyOperation, property: string, value: unknown): boolean {
    // Amplitude applies one operation per property and nothing after $clearAll; the official
    // builder silently skips such calls, and so does this one.
    if (this._properties.$clearAll !== undefined) return false
    if (this._propertySet.has(property)) return false
    if (operation === IdentifyOperation.ADD) return typeof value === 'number'
    if (operation !== IdentifyOperation.UNSET && operation !== IdentifyOperation.REMOVE) {
      return isValidProperties(property, value)
    }
    return true
  }
}

/** What `identifyFromOperations` made of a payload. */
export interface IdentifyFromOperations {
  /** The builder, or undefined when the payload holds no operation. */
  identify: Identify | undefined
  /** What was left out and why (unknown operation, a value the builder does not take). */
  problems: string[]
}

function isPropertyBag(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * An `Identify` built from a user-properties payload as the wire spells it
 * (`{"$set":{…},"$add":{…},"$unset":{…}}`), in Amplitude's order of operations. What the builder
 * would skip (an unknown operation, an operation that does not map properties to values, a
 * non-numeric `$add`) is left out and named in `problems`, so a caller can refuse it (the CLI) or
 * carry on as the builder does (typed trackers).
 */
export function identifyFromOperations(
  payload: Readonly<Record<string, unknown>>,
): IdentifyFromOperations {
  const problems: string[] = []
  for (const key of Object.keys(payload)) {
    if (!(IDENTIFY_OPERATIONS as readonly string[]).includes(key))
      problems.push(`unknown operation '${key}' (one of ${IDENTIFY_OPERATIONS.join(', ')})`)
  }
  const identify = new Identify()
  let any = false
  for (const operation of IDENTIFY_OPERATIONS) {
    if (!Object.hasOwn(payload, operation)) continue
    if (operation === '$clearAll') {
      identify.clearAll()
      any = true
      continue
    }
    const bag = payload[operation]
    if (!isPropertyBag(bag)) {
      problems.push(`${operation} must map property names to values`)
      continue
    }
    for (const [key, value] of Object.entries(bag)) {
      any = true
      const v = value as ValidPropertyType
      switch (operation) {
        case '$set':
          identify.set(key, v)
          break
        case '$setOnce':
          identify.setOnce(key, v)
          break
        case '$add':
          if (typeof value === 'number') identify.add(key, value)
          else problems.push(`$add ${key} must be a number`)
          break
        case '$append':
          identify.append(key, v)
          break
        case '$prepend':
          identify.prepend(key, v)
          break
        case '$preInsert':
          identify.preInsert(key, v)
          break
        case '$postInsert':
          identify.postInsert(key, v)
          break
        case '$remove':
          identify.remove(key, v)
          break
        case '$unset':
          identify.unset(key)
          break
      }
    }
  }
  return { identify: any ? identify : undefined, problems }
}
