/**
 * @module @ampkit/server: a local Amplitude-compatible server. `createServerApp` is the in-process
 * app (web `Request` → `Response`); `listen` binds it; `startServer` does both with a DuckDB store.
 */
export {
  type ConnectionInfo,
  createServerApp,
  isConnectionReset,
  type RateLimitOptions,
  resolveServerAppOptions,
  type ServerApp,
  type ServerAppOptions,
  type ServerLogger,
} from './app.ts'
export type { CohortJobOptions } from './cohorts/cohort-jobs.ts'
export {
  DEFAULT_CONFIG_FILE,
  loadServerConfig,
  parseServerConfig,
  type ServerConfigFile,
} from './config-file.ts'
export { AmpkitServerError, ApiError, ConfigError } from './errors.ts'
export { type FaultKind, type FaultRule, type FaultRuleInput, parseFaultRule } from './faults.ts'
export { type ListeningServer, type ListenOptions, listen } from './listen.ts'
export type { DeletionOptions } from './privacy/deletion-jobs.ts'
export { generateDevelopmentProject, type Project, ProjectRegistry } from './projects.ts'
export {
  DATABASE_FILE,
  DEFAULT_DATA_DIR,
  DEVELOPMENT_PROJECT_FILE,
  type RunningServer,
  type StartServerOptions,
  startServer,
} from './start-server.ts'
export { type DuckDbStoreOptions, openDuckDbStore } from './store/duckdb-store.ts'
export type {
  DeleteUsersOutcome,
  IngestContext,
  IngestOutcome,
  IngestPath,
  Store,
  UserActivityQuery,
  UserActivityResult,
  UserSearchMatch,
  UserSearchResult,
} from './store/store.ts'
