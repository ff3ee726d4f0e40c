// @ts-check
/**
 * The project's layers, enforced by `npm run lint` (the idea of VS Code's `code-layering` rule): every
 * import, re-export, dynamic import and require of a file under src/ is resolved to a path of the
 * repository and checked against the table below. ARCHITECTURE.md explains each layer.
 *
 * A layer lists the folders (or single files) it may import; `electron` and Node's built-ins are
 * checked too. Rules further down the table are exceptions that widen one file's rights.
 */
import { builtinModules } from 'node:module'
import { dirname, relative, resolve } from 'node:path'

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..')

/** The embedded store's public entry: the only file of src/store-server that src/main may import. */
export const STORE_SERVER_ENTRY = 'src/store-server/index.ts'
/** The simulator's public entry. */
export const SIM_ENTRY = 'src/sim/index.ts'

/**
 * @typedef {{ name: string, files: string[], except?: string[], may: string[], electron?: boolean, node?: boolean, why: string }} Layer
 * `files`: path prefixes of the files in the layer; `may`: path prefixes (or files) they may import.
 */

/** @type {Layer[]} */
export const LAYERS = [
  {
    name: 'shared',
    files: ['src/shared/'],
    may: ['src/shared/'],
    node: false,
    why: 'src/shared runs in the renderer and in Node: it imports neither side, nor Node built-ins.'
  },
  {
    name: 'renderer',
    files: ['src/renderer/'],
    may: ['src/renderer/', 'src/shared/', 'src/preload/api.d.ts'],
    node: false,
    why: 'The renderer talks to main only through window.stats2 (the IPC contract); it never imports main.'
  },
  {
    name: 'preload',
    files: ['src/preload/'],
    may: ['src/preload/', 'src/shared/'],
    electron: true,
    node: false,
    why: 'The sandboxed preload builds window.stats2 from the contract; it never imports main.'
  },
  {
    name: 'electron shell',
    files: ['src/main/index.ts', 'src/main/ipc/register.ts'],
    may: ['src/main/', 'src/shared/', STORE_SERVER_ENTRY],
    electron: true,
    why: 'Electron lives in the shell and the IPC registration only.'
  },
  {
    name: 'demo and `stats2 sim`',
    files: ['src/main/desktop/demo.ts', 'src/main/cli/sim-command.ts'],
    may: ['src/main/', 'src/shared/', STORE_SERVER_ENTRY, SIM_ENTRY],
    why: 'Only the demo and `stats2 sim` may start the cmsweb simulator.'
  },
  {
    name: 'main',
    files: ['src/main/'],
    may: ['src/main/', 'src/shared/', STORE_SERVER_ENTRY],
    why: `src/main is the product, free of Electron; it reaches the embedded store server through ${STORE_SERVER_ENTRY} only, and the simulator not at all.`
  },
  {
    name: 'store server',
    files: ['src/store-server/'],
    may: ['src/store-server/', 'src/shared/', 'src/main/log/', 'src/main/util/', 'src/main/config/'],
    why: 'The embedded CouchDB-protocol server is its own process: it may use the logger and small utilities, never the product.'
  },
  {
    name: 'simulator',
    files: ['src/sim/'],
    may: ['src/sim/', 'src/shared/', 'src/main/log/', 'src/main/util/'],
    why: 'The cmsweb simulator stands in for ReqMgr2/DBS/WMStats: it may use the logger and small utilities, never the product.'
  }
]

const NODE_BUILTINS = new Set(builtinModules)

/** @param {string} file repository-relative @returns {Layer | undefined} */
export function layerOf(file) {
  return LAYERS.find((layer) => layer.files.some((prefix) => (prefix.endsWith('/') ? file.startsWith(prefix) : file === prefix)))
}

/**
 * @param {string} importer repository-relative path of the importing file
 * @param {string} specifier as written
 * @returns {string | undefined} why the import is not allowed, or undefined
 */
export function importProblem(importer, specifier) {
  const layer = layerOf(importer)
  if (!layer) return undefined
  if (specifier === 'electron' || specifier.startsWith('electron/')) {
    return layer.electron ? undefined : `'${layer.name}' may not import electron. ${layer.why}`
  }
  if (specifier.startsWith('node:') || NODE_BUILTINS.has(specifier.split('/')[0] ?? '')) {
    return layer.node === false ? `'${layer.name}' may not import Node's ${specifier}. ${layer.why}` : undefined
  }
  if (!specifier.startsWith('.')) return undefined // a package
  const target = relative(ROOT, resolve(ROOT, dirname(importer), specifier)).split('\\').join('/')
  if (!target.startsWith('src/')) return undefined
  const allowed = layer.may.some((prefix) => {
    if (prefix.endsWith('/')) return target.startsWith(prefix) || `${target}/` === prefix
    const bare = prefix.replace(/\.(d\.)?tsx?$/, '')
    return target === prefix || target === bare || (bare.endsWith('/index') && target === bare.slice(0, -'/index'.length))
  })
  return allowed ? undefined : `'${layer.name}' may not import ${target}. ${layer.why}`
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Keeps every file of src/ within the imports its layer allows (ARCHITECTURE.md).' },
    schema: [],
    messages: { layer: '{{problem}}' }
  },
  create(context) {
    const file = relative(ROOT, context.filename).split('\\').join('/')
    if (!layerOf(file)) return {}
    /** @param {import('estree').Node | null | undefined} source */
    const check = (source) => {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return
      const problem = importProblem(file, source.value)
      if (problem) context.report({ node: source, messageId: 'layer', data: { problem } })
    }
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments.length === 1) {
          check(/** @type {import('estree').Node} */ (node.arguments[0]))
        }
      }
    }
  }
}

export default { rules: { imports: rule } }
