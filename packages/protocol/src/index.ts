/**
 * @module @ampkit/protocol: Amplitude's ingestion wire format, limits, validation and user-property
 * semantics, shared by the tracking client and the local server.
 */
export { isInvalidIdValue } from './invalid-ids.ts'
export {
  BATCH_DAILY_QUOTA_EVENTS,
  BATCH_EPS_LIMIT,
  DEDUP_WINDOW_MS,
  DEFAULT_MIN_ID_LENGTH,
  EPS_WINDOW_MS,
  HTTP_V2_EPS_LIMIT,
  MAX_BATCH_REQUEST_BYTES,
  MAX_EVENTS_PER_REQUEST,
  MAX_GROUP_IDENTIFICATIONS_PER_REQUEST,
  MAX_GROUP_IDENTIFY_REQUEST_BYTES,
  MAX_GROUP_TYPES_PER_EVENT,
  MAX_GROUP_VALUES_PER_TYPE,
  MAX_HTTP_V2_REQUEST_BYTES,
  MAX_IDENTIFY_REQUEST_BYTES,
  MAX_PROPERTY_DEPTH,
  MAX_STRING_LENGTH,
  NO_SESSION_ID,
  SERVER_URLS,
  type ServerZone,
  THROTTLED_RETRY_AFTER_MS,
} from './limits.ts'
export {
  type BehavioralCohortRequest,
  COHORT_CSV_CELL_PREFIX,
  type CohortCondition,
  type CohortDefinition,
  type CohortErrorBody,
  type CohortInCohortCondition,
  type CohortJobStatus,
  type CohortListResponse,
  type CohortMembershipChange,
  type CohortMembershipRequest,
  type CohortMembershipResponse,
  type CohortPerformedCondition,
  type CohortPropertyCondition,
  type CohortRequestResponse,
  type CohortStatusResponse,
  type CohortSummary,
  type CohortTimeWindow,
  type CohortUploadRequest,
  type CohortUploadResponse,
} from './query/cohorts-wire.ts'
export {
  BUILTIN_USER_PROPERTIES,
  type BuiltinUserProperty,
  DEFAULT_CONVERSION_WINDOW_SECONDS,
  DEFAULT_GROUP_LIMIT,
  FILTER_OPERATORS,
  type FilterOperator,
  FUNNEL_MODES,
  type FunnelMode,
  INTERVALS,
  type IntervalCode,
  MAX_GROUP_LIMIT,
  MAX_RANGE_DAYS,
  NONE_VALUE,
  PERFORMED_OPERATORS,
  type PerformedOperator,
  RETENTION_MODES,
  type RetentionMode,
  SEGMENTATION_METRICS,
  type SegmentationMetric,
  SPECIAL_EVENT_TYPES,
  type WireEventFilter,
  type WireEventObject,
  type WireGroupBy,
  type WirePerformedCondition,
  type WirePropertyCondition,
  type WireSegment,
  type WireSegmentCondition,
} from './query/dashboard-params.ts'
export type {
  DashboardResponse,
  EventListEntry,
  FunnelBin,
  FunnelDaySeries,
  FunnelSeries,
  FunnelStepDistribution,
  QueryMetadata,
  RetentionCell,
  RetentionData,
  RetentionSeries,
  RevenueLtvData,
  RevenueLtvRow,
  SegmentationData,
  SeriesLabel,
  SeriesMeta,
  SeriesPoint,
  TimeSeriesData,
} from './query/dashboard-results.ts'
export { EXPORT_RECORD_KEYS, type ExportedEvent } from './query/export-record.ts'
export type {
  DeletionCancelResponse,
  DeletionJob,
  DeletionRequest,
  DeletionStatus,
  UserProfileResponse,
} from './query/privacy-profile-wire.ts'
export type {
  TaxonomyUserPropertyRecord,
  UserActivityResponse,
  UserActivityUserData,
  UserSearchMatch,
  UserSearchResponse,
} from './query/user-lookup-wire.ts'
export {
  badRequestBody,
  ERROR_MESSAGES,
  type EventIndexMaps,
  invalidApiKeyBody,
  invalidEventsBody,
  missingFieldBody,
  payloadTooLargeBody,
  serverErrorBody,
  successBody,
  tooManyRequestsBody,
} from './response-bodies.ts'
export { type CardinalityOptions, DistinctValueCounter } from './taxonomy/cardinality.ts'
export {
  createTaxonomyChecker,
  type TaxonomyChecker,
  type TaxonomyCheckerOptions,
} from './taxonomy/checker.ts'
export {
  applyTaxonomyFixes,
  type FixOptions,
  type FixOutcome,
  redactionLabel,
} from './taxonomy/fixes.ts'
export { JSON_SCHEMA_DIALECT, type JsonSchema, planToJsonSchema } from './taxonomy/json-schema.ts'
export {
  type EventTypeStyle,
  eventTypeNamingRule,
  isBooleanName,
  isReservedEventType,
  propertyKeyNamingRule,
} from './taxonomy/naming.ts'
export {
  createNdjsonLinter,
  type LintFinding,
  lintNdjson,
  type NdjsonLinter,
  type NdjsonLintOptions,
} from './taxonomy/ndjson-lint.ts'
export { detectPii, luhnValid, type PiiKind, piiKeyKind } from './taxonomy/pii.ts'
export {
  type FindingPath,
  isTaxonomyRuleId,
  type RuleLevel,
  type RuleLevels,
  resolveRuleLevels,
  TAXONOMY_RULES,
  type TaxonomyFinding,
  type TaxonomyRuleId,
  type TaxonomySeverity,
} from './taxonomy/rules.ts'
export { experimentUserProperty, standardCatalog } from './taxonomy/standard-catalog.ts'
export {
  isStandardSchema,
  type StandardSchemaInput,
  type StandardSchemaIssue,
  type StandardSchemaProps,
  type StandardSchemaResult,
  type StandardSchemaV1,
} from './taxonomy/standard-schema.ts'
export {
  encodeForm,
  eventPropertiesRequest,
  planEventsFromTaxonomy,
  planToTaxonomyRequests,
  readTaxonomyResponse,
  TAXONOMY_API_PATH,
  type TaxonomyEventPropertyRecord,
  type TaxonomyEventRecord,
  type TaxonomyPropertyType,
  type TaxonomyRequest,
  type TaxonomyResponse,
  updateRequestFor,
} from './taxonomy/taxonomy-api.ts'
export {
  defineTrackingPlan,
  describeProperty,
  type EventSpec,
  type PlanCheckOptions,
  type PlanEvents,
  type PlanSpec,
  type PropertiesOf,
  type PropertyClassification,
  type PropertyDescriptor,
  type PropertySpec,
  type PropertyType,
  type RevenueFields,
  type TrackingPlan,
} from './taxonomy/tracking-plan.ts'
export {
  fixNesting,
  flattenValue,
  isDateKey,
  isIso8601,
  isNumericKey,
  type NestingPolicy,
  objectDepth,
} from './taxonomy/values.ts'
export {
  type EnvelopeOutcome,
  exceedsEventCount,
  readUploadEnvelope,
  type UploadEnvelope,
} from './upload-envelope.ts'
export {
  applyUserProperties,
  hasIdentifyOperations,
  isIdentifyOperation,
} from './user-property-operations.ts'
export {
  EVENT_SCALAR_FIELDS,
  type EventFinding,
  type FindingKind,
  normalizeEvent,
  truncateString,
  truncateStrings,
  type ValidationOptions,
  validateEvent,
  validateEvents,
} from './validate-event.ts'
export {
  GROUP_IDENTIFY_EVENT_TYPE,
  type GroupIdentification,
  IDENTIFY_EVENT_TYPE,
  IDENTIFY_OPERATIONS,
  type Identification,
  type IdentifyOperation,
  type IdentifyPayload,
  type IndexMap,
  type InvalidRequestBody,
  type PayloadTooLargeBody,
  type Properties,
  type PropertyValue,
  REVENUE_EVENT_TYPE,
  type ResponseBody,
  type SuccessBody,
  type TooManyRequestsBody,
  type UploadRequestBody,
  type WireEvent,
} from './wire.ts'
