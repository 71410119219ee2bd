/**
 * @module The `Identify` builder, method for method as in `@amplitude/analytics-node`: one operation
 * per property (the first wins), nothing after `clearAll()`, `add` takes numbers only.
 */
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
