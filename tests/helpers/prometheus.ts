/**
 * A reader of Prometheus' text exposition format (0.0.4), for tests: `# TYPE` lines and samples
 * with their labels. Strict: a line that is neither a comment nor a sample fails the test.
 */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  types: Map<string, string>
  help: Map<string, string>
  samples: Sample[]
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$/
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/y

function unescape(value: string): string {
  return value.replace(/\\(n|"|\\)/g, (_m, c: string) => (c === 'n' ? '\n' : c))
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>()
  const help = new Map<string, string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (type) {
      if (types.has(type[1]!)) throw new Error(`two TYPE lines for ${type[1]}`)
      types.set(type[1]!, type[2]!)
      continue
    }
    const helpLine = /^# HELP (\S+) (.*)$/.exec(line)
    if (helpLine) {
      help.set(helpLine[1]!, helpLine[2]!)
      continue
    }
    if (line.startsWith('#')) continue
    const match = SAMPLE.exec(line)
    if (!match) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    const body = match[3] ?? ''
    LABEL.lastIndex = 0
    while (LABEL.lastIndex < body.length) {
      const start = LABEL.lastIndex
      const label = LABEL.exec(body)
      if (!label || label.index !== start) throw new Error(`bad labels in: ${line}`)
      labels[label[1]!] = unescape(label[2]!)
    }
    // Prometheus reads values with Go's ParseFloat: `NaN` and `Inf` in any case (prom-client writes `Nan`).
    const raw = match[4]!.toLowerCase()
    const value = raw === '+inf' || raw === 'inf' ? Infinity : raw === '-inf' ? -Infinity : raw === 'nan' ? Number.NaN : Number(raw)
    if (Number.isNaN(value) && raw !== 'nan') throw new Error(`bad value in: ${line}`)
    samples.push({ name: match[1]!, labels, value })
  }
  // Every sample belongs to a declared family (histograms: _bucket, _sum, _count).
  for (const sample of samples) {
    const family = [sample.name, sample.name.replace(/_(bucket|sum|count)$/, '')].find((name) => types.has(name))
    if (!family) throw new Error(`sample ${sample.name} has no TYPE line`)
  }
  return { types, help, samples }
}

export function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  return found.length === 0 ? undefined : found.reduce((sum, s) => sum + s.value, 0)
}

/** Metric names an expression can refer to: families, and histograms' _bucket/_sum/_count. */
export function seriesNames(exposition: Exposition): Set<string> {
  const names = new Set<string>()
  for (const [name, type] of exposition.types) {
    names.add(name)
    if (type === 'histogram' || type === 'summary') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`)
  }
  return names
}
