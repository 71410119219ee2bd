/**
 * @module The standard event catalog of a product, as a tracking plan to extend: sign-up, login,
 * product views, checkout, feature adoption, subscriptions, refunds and experiment exposure, each with
 * its property schema, its user-property side effects (`$setOnce` for first-touch facts, `$add` for
 * counters, `$set` for current state) and, where money moves, the HTTP V2 revenue fields.
 */
import type { IdentifyPayload } from '../wire.ts'
import { defineTrackingPlan, type RevenueFields } from './tracking-plan.ts'

const now = (): string => new Date().toISOString()
const ISO_CURRENCY = '^[A-Z]{3}$'
/** Feature names become user-property keys (`exportCsvUseCount`), so they are camelCase. */
const CAMEL_CASE = '^[a-z][a-zA-Z0-9]*$'

/** The user property Amplitude Experiment sets for a flag: `[Experiment] <flagKey>`. */
export function experimentUserProperty(flagKey: string): string {
  return `[Experiment] ${flagKey}`
}

/** The standard catalog. Extend it: `standardCatalog.extend({ events: { SongPlayed: {...} } })`. */
export const standardCatalog = defineTrackingPlan({
  name: 'ampkit standard catalog',
  version: '1',
  events: {
    UserSignedUp: {
      description: 'A user created an account.',
      category: 'Lifecycle',
      properties: {
        signupMethod: {
          type: 'string',
          required: true,
          enum: ['email', 'google', 'apple', 'github', 'sso', 'other'],
        },
        referrer: 'string',
        plan: 'string',
        /** When the account was created (ISO 8601); defaults to the time of the call. */
        signedUpAt: 'string',
      },
      userProperties: (p: { signupMethod: string; signedUpAt?: string }): IdentifyPayload => ({
        $setOnce: { signupMethod: p.signupMethod, firstSeenAt: p.signedUpAt ?? now() },
      }),
    },
    UserLoggedIn: {
      description: 'A user signed in.',
      category: 'Lifecycle',
      properties: {
        loginMethod: {
          type: 'string',
          required: true,
          enum: ['password', 'google', 'apple', 'github', 'sso', 'magicLink', 'other'],
        },
        isRememberMe: 'boolean',
      },
      userProperties: (): IdentifyPayload => ({
        $set: { lastLoginAt: now() },
        $add: { loginCount: 1 },
      }),
    },
    ProductViewed: {
      description: 'A user looked at a product page.',
      category: 'Commerce',
      properties: {
        productId: { type: 'string', required: true },
        productName: 'string',
        productCategory: 'string',
        price: { type: 'number', min: 0 },
        currency: { type: 'string', regex: ISO_CURRENCY },
      },
    },
    CheckoutStarted: {
      description: 'A user began checking out a cart.',
      category: 'Commerce',
      properties: {
        cartId: { type: 'string', required: true },
        itemCount: { type: 'integer', required: true, min: 1 },
        cartValue: { type: 'number', required: true, min: 0 },
        currency: { type: 'string', regex: ISO_CURRENCY },
      },
    },
    CheckoutCompleted: {
      description: 'A user paid for an order.',
      category: 'Commerce',
      properties: {
        orderId: { type: 'string', required: true },
        revenue: { type: 'number', required: true, min: 0, classification: 'REVENUE' },
        currency: { type: 'string', regex: ISO_CURRENCY },
        itemCount: { type: 'integer', min: 1 },
        couponCode: 'string',
        /** When the order was paid (ISO 8601); defaults to the time of the call. */
        purchasedAt: 'string',
      },
      userProperties: (p: { revenue: number; purchasedAt?: string }): IdentifyPayload => {
        const at = p.purchasedAt ?? now()
        return {
          $set: { lastPurchaseAt: at },
          $setOnce: { firstPurchaseAt: at },
          $add: { totalSpend: p.revenue, orderCount: 1 },
        }
      },
      revenue: (p: { revenue: number; currency?: string }): RevenueFields => ({
        revenue: p.revenue,
        revenueType: 'purchase',
        ...(p.currency === undefined ? {} : { currency: p.currency }),
      }),
    },
    FeatureUsed: {
      description: 'A user used a product feature (adoption).',
      category: 'Engagement',
      properties: {
        featureName: { type: 'string', required: true, regex: CAMEL_CASE },
        surface: 'string',
      },
      userProperties: (p: { featureName: string }): IdentifyPayload => ({
        $setOnce: { [`${p.featureName}FirstUsedAt`]: now() },
        $add: { [`${p.featureName}UseCount`]: 1, featureUseCount: 1 },
      }),
    },
    SubscriptionStarted: {
      description: 'A user started a paid plan or a trial.',
      category: 'Subscriptions',
      properties: {
        planId: { type: 'string', required: true },
        billingPeriod: { type: 'string', required: true, enum: ['monthly', 'yearly'] },
        price: { type: 'number', required: true, min: 0 },
        currency: { type: 'string', regex: ISO_CURRENCY },
        isTrial: 'boolean',
      },
      userProperties: (p: { planId: string }): IdentifyPayload => ({
        $set: { plan: p.planId, subscriptionStatus: 'active' },
        $setOnce: { firstSubscribedAt: now() },
      }),
      revenue: (p: { price: number; isTrial?: boolean; currency?: string }) =>
        p.isTrial === true || p.price === 0
          ? undefined
          : {
              revenue: p.price,
              revenueType: 'subscription',
              ...(p.currency === undefined ? {} : { currency: p.currency }),
            },
    },
    SubscriptionCancelled: {
      description: 'A user cancelled a plan.',
      category: 'Subscriptions',
      properties: {
        planId: { type: 'string', required: true },
        reason: 'string',
        isImmediate: 'boolean',
      },
      userProperties: (): IdentifyPayload => ({
        $set: { subscriptionStatus: 'cancelled', cancelledAt: now() },
      }),
    },
    RefundIssued: {
      description: 'Money was given back for an order (negative revenue).',
      category: 'Commerce',
      properties: {
        orderId: { type: 'string', required: true },
        amount: { type: 'number', required: true, min: 0, classification: 'REVENUE' },
        currency: { type: 'string', regex: ISO_CURRENCY },
        reason: 'string',
      },
      userProperties: (p: { amount: number }): IdentifyPayload => ({
        $add: { totalSpend: -p.amount, refundCount: 1 },
      }),
      revenue: (p: { amount: number; currency?: string }): RevenueFields => ({
        revenue: -p.amount,
        revenueType: 'refund',
        ...(p.currency === undefined ? {} : { currency: p.currency }),
      }),
    },
    ExperimentExposed: {
      description:
        'A user was exposed to a variant of a feature flag or experiment; cut funnels and segmentation by it.',
      category: 'Experiment',
      properties: {
        flagKey: { type: 'string', required: true },
        variant: { type: 'string', required: true },
        experimentKey: 'string',
      },
      userProperties: (p: { flagKey: string; variant: string }): IdentifyPayload => ({
        $set: { [experimentUserProperty(p.flagKey)]: p.variant },
      }),
    },
  },
})
