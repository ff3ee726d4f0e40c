/**
 * Mango selectors (`_find`) compiled into a predicate, with CouchDB's semantics (mango_selector):
 * a field that is missing matches only `{"$exists": false}`; `$in`/`$nin` on an array field look at
 * the array and at each element; comparisons use CouchDB's collation (pouchdb-collate).
 *
 * `$regex` runs on RE2 (re2js, pure JavaScript): matching takes time linear in the text, whatever
 * the pattern — `^(\w+)+=` cannot backtrack for minutes as on JavaScript's RegExp, which
 * pouchdb-find used. Patterns RE2 does not support (backreferences, lookahead, lookbehind,
 * possessive repeats) are refused with the construct named, as are patterns longer than
 * MAX_REGEX_LENGTH characters (matching costs pattern × text length).
 *
 * Everything is checked when compiling, before any document is read: a bad selector answers 400
 * at once, never after a scan.
 */
import { RE2JS } from 're2js'
import { collation } from './one-pass-index'

export const MAX_REGEX_LENGTH = 1_000
/** Nesting of selectors (`$and` in `$or` in `$elemMatch`…): deeper ones are refused (the compiler recurses). */
export const MAX_SELECTOR_DEPTH = 64

/** A selector that cannot be run: CouchDB's 400 with its `error` and a reason. */
export class SelectorError extends Error {
  override name = 'SelectorError'
  constructor(
    readonly error: string,
    reason: string
  ) {
    super(reason)
  }
}

type Pred = (value: unknown) => boolean

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value)
const cmp = (a: unknown, b: unknown): number => collation.collate(a, b)

/** `a.b\.c` → ['a', 'b.c'] (CouchDB escapes a dot in a field name with a backslash). */
export function fieldPath(name: string): string[] {
  const parts: string[] = []
  let current = ''
  for (let i = 0; i < name.length; i++) {
    const char = name[i]!
    if (char === '\\' && name[i + 1] === '.') {
      current += '.'
      i++
    } else if (char === '.') {
      parts.push(current)
      current = ''
    } else {
      current += char
    }
  }
  parts.push(current)
  return parts
}

/** The value at `path` in `value`, or `found: false` (objects by key, arrays by index). */
export function fieldValue(value: unknown, path: readonly string[]): { found: boolean; value?: unknown } {
  let current = value
  for (const part of path) {
    if (Array.isArray(current) && /^(0|[1-9]\d*)$/.test(part) && Number(part) < current.length) current = current[Number(part)]
    else if (isObject(current) && Object.prototype.hasOwnProperty.call(current, part)) current = current[part]
    else return { found: false }
  }
  return { found: true, value: current }
}

function typeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

function regex(pattern: unknown): Pred {
  if (typeof pattern !== 'string') throw new SelectorError('bad_arg', '$regex needs a string pattern')
  if (pattern.length > MAX_REGEX_LENGTH) throw new SelectorError('bad_request', `The $regex pattern is ${pattern.length} characters long; at most ${MAX_REGEX_LENGTH} are accepted.`)
  let compiled: RE2JS
  try {
    compiled = RE2JS.compile(pattern)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new SelectorError(
      'bad_request',
      `The $regex pattern ${JSON.stringify(pattern)} is not supported: ${message}. The embedded store matches with RE2 syntax (linear time): no backreferences, lookahead, lookbehind or possessive repeats.`
    )
  }
  return (value) => typeof value === 'string' && compiled.matcher(value).find()
}

function arrayArg(operator: string, arg: unknown): unknown[] {
  if (!Array.isArray(arg)) throw new SelectorError('bad_arg', `Bad argument for operator ${operator}: it must be an array`)
  return arg
}

/** One operator applied to a value that is present. */
function operator(name: string, arg: unknown, depth: number): Pred {
  switch (name) {
    case '$eq':
      return (value) => cmp(value, arg) === 0
    case '$ne':
      return (value) => cmp(value, arg) !== 0
    case '$gt':
      return (value) => cmp(value, arg) > 0
    case '$gte':
      return (value) => cmp(value, arg) >= 0
    case '$lt':
      return (value) => cmp(value, arg) < 0
    case '$lte':
      return (value) => cmp(value, arg) <= 0
    case '$exists':
      if (typeof arg !== 'boolean') throw new SelectorError('bad_arg', 'Bad argument for operator $exists: it must be true or false')
      return () => arg // a missing field is handled by the field itself
    case '$type': {
      const types = ['null', 'boolean', 'number', 'string', 'array', 'object']
      if (typeof arg !== 'string' || !types.includes(arg)) throw new SelectorError('bad_arg', `Bad argument for operator $type: one of ${types.join(', ')}`)
      return (value) => typeOf(value) === arg
    }
    case '$in': {
      const args = arrayArg(name, arg)
      return (value) => (Array.isArray(value) ? [value, ...value] : [value]).some((v) => args.some((a) => cmp(v, a) === 0))
    }
    case '$nin': {
      const args = arrayArg(name, arg)
      return (value) => !(Array.isArray(value) ? [value, ...value] : [value]).some((v) => args.some((a) => cmp(v, a) === 0))
    }
    case '$size':
      if (!Number.isInteger(arg) || (arg as number) < 0) throw new SelectorError('bad_arg', 'Bad argument for operator $size: a whole number ≥ 0')
      return (value) => Array.isArray(value) && value.length === arg
    case '$mod': {
      const args = arrayArg(name, arg)
      const [divisor, remainder] = args
      if (args.length !== 2 || !Number.isInteger(divisor) || !Number.isInteger(remainder) || divisor === 0) {
        throw new SelectorError('bad_arg', 'Bad argument for operator $mod: [divisor, remainder], whole numbers, divisor not 0')
      }
      return (value) => Number.isInteger(value) && (value as number) % (divisor as number) === remainder
    }
    case '$regex':
      return regex(arg)
    case '$beginsWith':
      if (typeof arg !== 'string') throw new SelectorError('bad_arg', 'Bad argument for operator $beginsWith: it must be a string')
      return (value) => typeof value === 'string' && value.startsWith(arg)
    case '$all': {
      const args = arrayArg(name, arg)
      return (value) => Array.isArray(value) && args.every((a) => value.some((v) => cmp(v, a) === 0))
    }
    case '$elemMatch': {
      const inner = condition(arg, depth + 1)
      return (value) => Array.isArray(value) && value.some(inner)
    }
    case '$allMatch': {
      const inner = condition(arg, depth + 1)
      return (value) => Array.isArray(value) && value.length > 0 && value.every(inner)
    }
    case '$keyMapMatch': {
      const inner = condition(arg, depth + 1)
      return (value) => isObject(value) && Object.keys(value).some(inner)
    }
    case '$and':
    case '$or':
    case '$nor': {
      const parts = arrayArg(name, arg).map((part) => condition(part, depth + 1))
      if (name === '$and') return (value) => parts.every((part) => part(value))
      if (name === '$or') return (value) => parts.some((part) => part(value))
      return (value) => !parts.some((part) => part(value))
    }
    case '$not': {
      if (!isObject(arg)) throw new SelectorError('bad_arg', 'Bad argument for operator $not: it must be an object')
      const inner = condition(arg, depth + 1)
      return (value) => !inner(value)
    }
    default:
      throw new SelectorError('invalid_operator', `Invalid operator: ${name}`)
  }
}

/**
 * A condition applied to a value (the document, a field's value, an array element): an object
 * whose keys are operators (applied to the value) and field names (applied to that field of the
 * value), all of which must hold; anything else means `$eq`.
 */
function condition(cond: unknown, depth: number): Pred {
  if (depth > MAX_SELECTOR_DEPTH) throw new SelectorError('bad_request', `The selector is nested deeper than ${MAX_SELECTOR_DEPTH} levels.`)
  if (!isObject(cond)) return (value) => cmp(value, cond) === 0
  const parts: Pred[] = Object.keys(cond).map((key) => {
    const arg = cond[key]
    if (key.startsWith('$')) return operator(key, arg, depth)
    const path = fieldPath(key)
    const inner = condition(arg, depth + 1)
    // CouchDB: a missing field matches only `{"$exists": false}`.
    const missingMatches = isObject(arg) && Object.keys(arg).length === 1 && arg.$exists === false
    return (value) => {
      const field = fieldValue(value, path)
      return field.found ? inner(field.value) : missingMatches
    }
  })
  return (value) => parts.every((part) => part(value))
}

/** The selector as a predicate over documents; throws SelectorError for a selector that cannot run. */
export function compileSelector(selector: unknown): (doc: Record<string, unknown>) => boolean {
  if (!isObject(selector)) throw new SelectorError('invalid_selector_json', 'Selector must be a JSON object')
  return condition(selector, 0)
}
