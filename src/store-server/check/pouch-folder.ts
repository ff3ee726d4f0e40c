/**
 * PouchDB's documents in a LevelDB folder, read without LevelDB or PouchDB (leveldb-folder.ts
 * `visitFolder`): what `store check` counts, what `store repair` compares before and after, and the
 * start-up's evidence that a store existed (the feed checkpoint in `settings`).
 *
 * pouchdb-adapter-leveldb 9 keeps, in one LevelDB, sublevels whose keys start `ÿ<name>ÿ`:
 * `document-store` (id → metadata JSON: `rev_tree`, `rev_map` rev → seq, `winningRev`, `deleted`),
 * `by-sequence` (16-digit seq → the document body of that revision), `meta-store` (`_local_doc_count`,
 * `_local_last_update_seq`, `_local_uuid`), `local-store`, `attach-store`, `attach-binary-store`.
 * A document can be read when its metadata parses, its winning revision is not deleted and the body
 * at that revision's seq is there and parses (PouchDB crashes on `_all_docs?include_docs=true` when
 * it is not: reproduction 4 of issue 14).
 */
import { TYPE_VALUE, type Entry } from './leveldb-format'
import { type FolderRead, visitFolder } from './leveldb-folder'

export const DOC_PREFIX = '\u00ffdocument-store\u00ff'
export const SEQ_PREFIX = '\u00ffby-sequence\u00ff'
export const META_PREFIX = '\u00ffmeta-store\u00ff'
export const DOC_COUNT_KEY = `${META_PREFIX}_local_doc_count`
export const UPDATE_SEQ_KEY = `${META_PREFIX}_local_last_update_seq`

export const formatSeq = (seq: number): string => String(seq).padStart(16, '0')

interface Latest {
  sequence: bigint
  value?: Buffer
}

interface Metadata {
  id?: unknown
  winningRev?: unknown
  deleted?: unknown
  rev_map?: Record<string, unknown>
}

interface Body {
  _id?: unknown
  _rev?: unknown
  _deleted?: unknown
}

export interface PouchFolder {
  /** Documents that can be read (design documents included, deleted ones not). */
  readable: Set<string>
  /** Documents whose metadata says they exist, but whose body (or metadata) cannot be read: key → why. */
  broken: Map<string, string>
  /** Ids named by a document body whose document is neither readable nor deleted (its metadata is gone). */
  orphans: Set<string>
  /** PouchDB's stored counters, when readable. */
  counter?: number
  updateSeq?: number
  /** The highest seq of any stored body. */
  maxSeq: number
  /** Bodies of the readable documents asked for. */
  bodies: Map<string, Record<string, unknown>>
  read: FolderRead
}

function parse<T>(value: Buffer | undefined): T | undefined {
  if (!value) return undefined
  try {
    return JSON.parse(value.toString('utf8')) as T
  } catch {
    return undefined
  }
}

/** Reads the documents of a PouchDB LevelDB folder; `bodiesOf` names documents whose bodies to return. */
export async function readPouchFolder(dir: string, bodiesOf: ReadonlySet<string> = new Set()): Promise<PouchFolder> {
  const docs = new Map<string, Latest>()
  const seqs = new Map<string, Latest>()
  const meta = new Map<string, Latest>()
  const keep = (map: Map<string, Latest>, key: string, entry: Entry): void => {
    const known = map.get(key)
    if (known && known.sequence > entry.sequence) return
    map.set(key, { sequence: entry.sequence, value: entry.type === TYPE_VALUE ? entry.value : undefined })
  }
  const read = await visitFolder(dir, (entry) => {
    const key = entry.userKey.toString('utf8')
    if (key.startsWith(DOC_PREFIX)) keep(docs, key.slice(DOC_PREFIX.length), entry)
    else if (key.startsWith(SEQ_PREFIX)) keep(seqs, key.slice(SEQ_PREFIX.length), entry)
    else if (key.startsWith(META_PREFIX)) keep(meta, key, entry)
  })

  const result: PouchFolder = { readable: new Set(), broken: new Map(), orphans: new Set(), maxSeq: 0, bodies: new Map(), read }
  const counter = parse<unknown>(meta.get(DOC_COUNT_KEY)?.value)
  if (typeof counter === 'number') result.counter = counter
  const updateSeq = parse<unknown>(meta.get(UPDATE_SEQ_KEY)?.value)
  if (typeof updateSeq === 'number') result.updateSeq = updateSeq
  const deleted = new Set<string>()
  for (const [id, latest] of docs) {
    if (!latest.value) continue // deleted from the store by PouchDB (purge) or by repair
    const metadata = parse<Metadata>(latest.value)
    if (!metadata || typeof metadata.winningRev !== 'string' || !metadata.rev_map) {
      result.broken.set(id, 'its metadata does not parse')
      continue
    }
    if (metadata.deleted === true) {
      deleted.add(id)
      continue
    }
    const seq = metadata.rev_map[metadata.winningRev]
    const body = typeof seq === 'number' ? parse<Body & Record<string, unknown>>(seqs.get(formatSeq(seq))?.value) : undefined
    if (!body || (body._id !== undefined && body._id !== id)) {
      result.broken.set(id, `the body of its revision ${metadata.winningRev} is missing`)
      continue
    }
    result.readable.add(id)
    if (bodiesOf.has(id)) result.bodies.set(id, body)
  }
  for (const [seq, latest] of seqs) {
    const number = Number(seq)
    if (Number.isSafeInteger(number) && latest.value) result.maxSeq = Math.max(result.maxSeq, number)
    const body = parse<Body>(latest.value)
    const id = typeof body?._id === 'string' ? body._id : undefined
    if (id && body?._deleted !== true && !result.readable.has(id) && !deleted.has(id) && !result.broken.has(id)) result.orphans.add(id)
  }
  return result
}

/** The feed checkpoint `last_reqmgr_sequence` of `settings/all_settings`, when set (not 0 or empty). */
export async function feedCheckpoint(settingsDir: string): Promise<string | number | undefined> {
  const folder = await readPouchFolder(settingsDir, new Set(['all_settings']))
  const value = folder.bodies.get('all_settings')?.last_reqmgr_sequence
  return (typeof value === 'number' && value !== 0) || (typeof value === 'string' && value !== '' && value !== '0') ? value : undefined
}
