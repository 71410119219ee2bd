/**
 * @module The `Revenue` builder, as in `@amplitude/analytics-node`: a `revenue_amount` event whose
 * properties are `$productId`, `$quantity` (default 1), `$price` (default 0), `$revenueType`,
 * `$currency`, `$revenue`, `$receipt` and `$receiptSig`.
 */
import type { RevenueEventProperties, ValidPropertyType } from './event-types.ts'
import { isValidObject } from './valid-properties.ts'

/** The builder interface, as Amplitude's `IRevenue`. */
export interface IRevenue {
  getEventProperties(): RevenueEventProperties
  setProductId(productId: string): IRevenue
  setQuantity(quantity: number): IRevenue
  setPrice(price: number): IRevenue
  setRevenueType(revenueType: string): IRevenue
  setCurrency(currency: string): IRevenue
  // biome-ignore lint/suspicious/noExplicitAny: as the official type
  setEventProperties(properties: { [key: string]: any }): IRevenue
  setRevenue(revenue: number): IRevenue
  setReceipt(receipt: string): IRevenue
  setReceiptSig(receiptSig: string): IRevenue
}

/** Builds a revenue event. */
export class Revenue implements IRevenue {
  private productId = ''
  private quantity = 1
  private price = 0
  private revenueType: string | undefined
  private currency: string | undefined
  private properties: { [key: string]: ValidPropertyType } | undefined
  private revenue: number | undefined
  private receipt: string | undefined
  private receiptSig: string | undefined

  setProductId(productId: string): this {
    this.productId = productId
    return this
  }

  /** Ignored unless positive, as in Amplitude's SDK. */
  setQuantity(quantity: number): this {
    if (quantity > 0) this.quantity = quantity
    return this
  }

  setPrice(price: number): this {
    this.price = price
    return this
  }

  setRevenueType(revenueType: string): this {
    this.revenueType = revenueType
    return this
  }

  setCurrency(currency: string): this {
    this.currency = currency
    return this
  }

  setRevenue(revenue: number): this {
    this.revenue = revenue
    return this
  }

  setReceipt(receipt: string): this {
    this.receipt = receipt
    return this
  }

  setReceiptSig(receiptSig: string): this {
    this.receiptSig = receiptSig
    return this
  }

  /** Extra properties; an invalid object is ignored as a whole (undefined values are dropped first). */
  setEventProperties(properties: { [key: string]: ValidPropertyType }): this {
    try {
      const filtered: unknown = JSON.parse(JSON.stringify(properties))
      if (typeof filtered === 'object' && filtered !== null && isValidObject(filtered)) {
        this.properties = filtered as { [key: string]: ValidPropertyType }
      }
    } catch {
      // Not serializable (a cycle, a BigInt): ignored, as the official builder does.
    }
    return this
  }

  getEventProperties(): RevenueEventProperties {
    const eventProperties: RevenueEventProperties & Record<string, unknown> = this.properties
      ? { ...this.properties }
      : {}
    eventProperties.$productId = this.productId
    eventProperties.$quantity = this.quantity
    eventProperties.$price = this.price
    eventProperties.$revenueType = this.revenueType
    eventProperties.$currency = this.currency
    eventProperties.$revenue = this.revenue
    eventProperties.$receipt = this.receipt
    eventProperties.$receiptSig = this.receiptSig
    return eventProperties
  }
}
