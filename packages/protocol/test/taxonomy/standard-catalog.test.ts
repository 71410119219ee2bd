import { createTaxonomyChecker, standardCatalog } from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'

describe('the standard event catalog', () => {
  it('follows its own taxonomy rules', () => {
    const checker = createTaxonomyChecker({ cardinality: false })
    for (const eventType of standardCatalog.eventTypes) {
      expect(checker.check({ event_type: eventType })).toEqual([])
    }
  })

  it('adds lifetime value on checkout and sets first-touch facts once', () => {
    expect(
      standardCatalog.userPropertiesFor('CheckoutCompleted', {
        orderId: 'o1',
        revenue: 30,
        purchasedAt: '2026-11-28T10:00:00.000Z',
      }),
    ).toEqual({
      $set: { lastPurchaseAt: '2026-11-28T10:00:00.000Z' },
      $setOnce: { firstPurchaseAt: '2026-11-28T10:00:00.000Z' },
      $add: { totalSpend: 30, orderCount: 1 },
    })
    expect(
      standardCatalog.revenueFor('CheckoutCompleted', { revenue: 30, currency: 'EUR' }),
    ).toEqual({ revenue: 30, revenueType: 'purchase', currency: 'EUR' })
  })

  it('records refunds as negative revenue and subtracts them from total spend', () => {
    expect(standardCatalog.revenueFor('RefundIssued', { orderId: 'o1', amount: 10 })).toEqual({
      revenue: -10,
      revenueType: 'refund',
    })
    expect(standardCatalog.userPropertiesFor('RefundIssued', { amount: 10 })).toEqual({
      $add: { totalSpend: -10, refundCount: 1 },
    })
  })

  it('counts feature adoption per feature', () => {
    expect(
      standardCatalog.userPropertiesFor('FeatureUsed', { featureName: 'exportCsv' }),
    ).toMatchObject({
      $add: { exportCsvUseCount: 1, featureUseCount: 1 },
    })
    expect(standardCatalog.validate('FeatureUsed', { featureName: 'Export CSV' })).toMatchObject([
      { rule: 'plan-property-type', property: 'featureName' },
    ])
  })

  it('sets the [Experiment] user property on exposure, as Amplitude Experiment does', () => {
    expect(
      standardCatalog.userPropertiesFor('ExperimentExposed', {
        flagKey: 'new-checkout',
        variant: 'treatment',
      }),
    ).toEqual({ $set: { '[Experiment] new-checkout': 'treatment' } })
  })

  it('does not record revenue for a trial', () => {
    expect(
      standardCatalog.revenueFor('SubscriptionStarted', {
        planId: 'pro',
        price: 10,
        isTrial: true,
      }),
    ).toBeUndefined()
    expect(standardCatalog.revenueFor('SubscriptionStarted', { planId: 'pro', price: 10 })).toEqual(
      {
        revenue: 10,
        revenueType: 'subscription',
      },
    )
  })
})
