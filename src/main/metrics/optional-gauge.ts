/**
 * A gauge without labels that has no sample while its value is unknown. prom-client writes `0` for
 * an unlabelled gauge that was never set (or was reset): a last-pull time of 0 would read as "1970",
 * a "changes behind" of 0 as "up to date". Prometheus treats a missing sample as unknown.
 */
import { Gauge, type Registry } from 'prom-client'

export class OptionalGauge extends Gauge {
  constructor(options: { name: string; help: string; registers: Registry[]; read: () => number | undefined | Promise<number | undefined> }) {
    let known = false
    super({
      name: options.name,
      help: options.help,
      registers: options.registers,
      async collect() {
        const value = await options.read()
        known = value !== undefined
        this.set(value ?? 0)
      }
    })
    this.isKnown = () => known
  }

  private readonly isKnown: () => boolean

  override async get(): Promise<Awaited<ReturnType<Gauge['get']>>> {
    const metric = await super.get()
    return this.isKnown() ? metric : { ...metric, values: [] }
  }
}
