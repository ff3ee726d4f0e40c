/**
 * Component-named log lines (`2026-11-27T10:00:00.000Z INFO  [updater] …`) on stderr, so that stdout
 * stays clean for CLI output that other programs parse (JSON).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }

export interface LogRecord {
  time: number
  level: Exclude<LogLevel, 'silent'>
  component: string
  message: string
}

export type LogSink = (record: LogRecord) => void

// `info` until the process's entry sets the configured level (STATS2_LOG_LEVEL, read by
// src/main/config: the CLI's bin, the Electron shell, the store's process, the tests' setup).
let threshold = LEVELS.info
const sinks = new Set<LogSink>()

const stderrSink: LogSink = (record) => {
  const stamp = new Date(record.time).toISOString()
  process.stderr.write(`${stamp} ${record.level.toUpperCase().padEnd(5)} [${record.component}] ${record.message}\n`)
}

export function setLogLevel(level: LogLevel): void {
  threshold = LEVELS[level]
}

/** Adds a sink (the desktop's log panel, a test) in addition to stderr; returns its remover. */
export function addLogSink(sink: LogSink): () => void {
  sinks.add(sink)
  return () => sinks.delete(sink)
}

export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
  child(component: string): Logger
}

export function createLogger(component: string): Logger {
  const emit = (level: Exclude<LogLevel, 'silent'>, message: string): void => {
    const record: LogRecord = { time: Date.now(), level, component, message }
    for (const sink of sinks) sink(record)
    if (LEVELS[level] >= threshold) stderrSink(record)
  }
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (sub) => createLogger(`${component}/${sub}`)
  }
}
