/**
 * `<userData>/overview-look.json`: when this operator last opened the app's overview, and the failed
 * workflows then — all "since my last look" needs; the changes themselves come from the documents'
 * own times. Validated when read; a file that does not validate is kept aside (never deleted) and
 * the next look starts afresh, with a warning. Written atomically (a temporary file, then rename).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { createLogger } from '../log/logger'
import { overviewLookSchema, type OverviewLook } from '../../shared/overview/types'

const log = createLogger('overview')

const fileSchema = z.object({ version: z.literal(1), look: overviewLookSchema }).strict()

export class OverviewLookFile {
  private queue: Promise<unknown> = Promise.resolve()

  constructor(readonly file: string) {}

  static in(userDataDir: string): OverviewLookFile {
    return new OverviewLookFile(join(userDataDir, 'overview-look.json'))
  }

  private async read(): Promise<OverviewLook | undefined> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`${this.file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): this look starts afresh`)
      return undefined
    }
    let parsed: ReturnType<typeof fileSchema.safeParse>
    try {
      parsed = fileSchema.safeParse(JSON.parse(text))
    } catch {
      parsed = fileSchema.safeParse(undefined)
    }
    if (parsed.success) return parsed.data.look
    const aside = `${this.file}.invalid-${Date.now()}`
    await rename(this.file, aside).catch(() => undefined)
    log.warn(`${this.file} is not a valid overview look; kept as ${aside}, this look starts afresh`)
    return undefined
  }

  /** Records `next` and answers the look recorded before it (one swap at a time). */
  swap(next: OverviewLook): Promise<OverviewLook | undefined> {
    const run = this.queue.then(async () => {
      const previous = await this.read()
      const checked = fileSchema.parse({ version: 1, look: next })
      await mkdir(dirname(this.file), { recursive: true })
      const temp = `${this.file}.tmp`
      await writeFile(temp, JSON.stringify(checked), { mode: 0o600 })
      await rename(temp, this.file)
      return previous
    })
    this.queue = run.catch(() => undefined)
    return run
  }
}
