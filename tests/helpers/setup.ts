/**
 * Runs in every test worker before the tests: logging at STATS2_LOG_LEVEL (vitest.config.mts sets
 * `warn`, which the child processes the tests start inherit), so that the chatter of the servers
 * the tests start does not hide the assertion that failed.
 */
import { logLevelFromEnv } from '../../src/main/config/config'
import { setLogLevel } from '../../src/main/log/logger'

setLogLevel(logLevelFromEnv(process.env))
