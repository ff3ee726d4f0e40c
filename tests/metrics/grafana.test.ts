/**
 * docs/grafana/stats2.json: valid JSON, a Grafana dashboard whose every panel has a query, and every
 * metric its queries name is one `stats2 serve`'s `/metrics` or `stats2 update --metrics-file`
 * really exports (read from a running service and from an update's metrics registry).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/main/config/config'
import { CouchStore } from '../../src/main/store/couch-store'
import { updateMetrics } from '../../src/main/metrics/update-metrics'
import { REPO_ROOT } from '../helpers/paths'
import { parseExposition, seriesNames } from '../helpers/prometheus'
import { call, serveStore } from '../serve/helpers'

interface Panel {
  type: string
  title: string
  targets?: Array<{ expr?: string }>
}

const PROMQL_WORDS = new Set(['sum', 'max', 'min', 'by', 'rate', 'time', 'histogram_quantile', 'le', 'without', 'avg', 'count', 'increase', 'label_values'])

describe('the Grafana dashboard', () => {
  it('queries only metrics that exist, on every panel', async () => {
    const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'grafana', 'stats2.json'), 'utf8')) as { title: string; panels: Panel[]; templating: { list: Array<{ query?: unknown }> } }
    const config = loadConfig({ HOME: '/nonexistent' })
    const store = await CouchStore.open({ ...config.db, dataDir: '' }, { inMemory: true })
    const svc = await serveStore(store, config, {})
    let known: Set<string>
    try {
      const served = await call(`${svc.origin}/stats/metrics`)
      expect(served.status).toBe(200)
      known = new Set([...seriesNames(parseExposition(served.text)), ...seriesNames(parseExposition(await updateMetrics().registry.metrics()))])
    } finally {
      await svc.close()
      await store.close()
    }
    const queries = dashboard.panels.filter((p) => p.type !== 'row')
    expect(queries.length).toBeGreaterThan(10)
    const named = new Set<string>()
    for (const panel of queries) {
      const exprs = (panel.targets ?? []).map((t) => t.expr ?? '')
      expect(exprs.length, panel.title).toBeGreaterThan(0)
      for (const expr of exprs) {
        // Identifiers outside label matchers and strings: metric names, functions, keywords.
        const bare = expr.replace(/\{[^}]*\}/g, '{}').replace(/"[^"]*"/g, '""').replace(/\[[^\]]*\]/g, '[]')
        const names = (bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []).filter((word) => !PROMQL_WORDS.has(word) && !/^(route|status|campaign|endpoint|outcome|instance|scope)$/.test(word))
        expect(names.length, `${panel.title}: ${expr}`).toBeGreaterThan(0)
        for (const name of names) {
          expect(known.has(name), `${panel.title}: ${name} is not exported`).toBe(true)
          named.add(name)
        }
      }
    }
    // The main figures are on the dashboard.
    for (const name of ['stats2_store_up', 'stats2_workflows', 'stats2_campaign_events', 'stats2_http_request_duration_seconds_bucket', 'stats2_last_update_timestamp_seconds', 'stats2_update_success']) {
      expect(named.has(name), name).toBe(true)
    }
  })
})
