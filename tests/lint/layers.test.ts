/**
 * The layering rule (scripts/eslint-layers.mjs) through ESLint itself, with the project's own
 * configuration: each forbidden import fails `npm run lint`, each allowed one passes.
 */
import { resolve } from 'node:path'
import { ESLint } from 'eslint'
import { beforeAll, describe, expect, it } from 'vitest'
import { importProblem, LAYERS } from '../../scripts/eslint-layers.mjs'

const ROOT = resolve(__dirname, '../..')
let eslint: ESLint

beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT })
})

/** The layer rule's messages for `code` as if it were the file `file`. */
async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, file) })
  return (result?.messages ?? []).filter((message) => message.ruleId === 'layers/imports').map((message) => message.message)
}

describe('npm run lint enforces the layers', () => {
  const forbidden: Array<[string, string, RegExp]> = [
    ['src/renderer/src/components/X.tsx', "import { CouchStore } from '../../../main/store/couch-store'\nexport const x = CouchStore\n", /renderer.*src\/main\/store\/couch-store/],
    ['src/shared/rules/x.ts', "import { createLogger } from '../../main/log/logger'\nexport const x = createLogger\n", /shared.*src\/main\/log\/logger/],
    ['src/shared/x.ts', "import { readFile } from 'node:fs/promises'\nexport const x = readFile\n", /Node's node:fs\/promises/],
    ['src/renderer/src/x.ts', "import { join } from 'path'\nexport const x = join\n", /Node's path/],
    ['src/main/updater/x.ts', "import { startSimulator } from '../../sim'\nexport const x = startSimulator\n", /main.*src\/sim/],
    ['src/main/serve/x.ts', "import { couchAccess } from '../../store-server/couch-access'\nexport const x = couchAccess\n", /src\/store-server\/couch-access/],
    ['src/main/desktop/app-core-x.ts', "import { app } from 'electron'\nexport const x = app\n", /may not import electron/],
    ['src/main/search/x.ts', "export const x = () => import('electron')\n", /may not import electron/],
    ['src/main/cli/x.ts', "// eslint-disable-next-line @typescript-eslint/no-require-imports\nexport const x = require('../../sim/server')\n", /src\/sim\/server/],
    ['src/sim/x.ts', "export { CouchStore } from '../main/store/couch-store'\n", /simulator.*src\/main\/store\/couch-store/],
    ['src/store-server/x.ts', "export * from '../main/updater/update-run'\n", /store server.*src\/main\/updater/],
    ['src/renderer/src/x.ts', "import { ipcRenderer } from 'electron'\nexport const x = ipcRenderer\n", /may not import electron/]
  ]
  it.each(forbidden)('refuses in %s: %s', async (file, code, message) => {
    const errors = await layerErrors(file, code)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(message)
  })

  const allowed: Array<[string, string]> = [
    ['src/renderer/src/x.ts', "import { type WorkflowRow } from '../../shared/search-types'\nexport type X = WorkflowRow\n"],
    ['src/main/desktop/demo.ts', "import { startSimulator } from '../../sim'\nexport const x = startSimulator\n"],
    ['src/main/cli/sim-command.ts', "import { startSimulator } from '../../sim/index'\nexport const x = startSimulator\n"],
    ['src/main/store/x.ts', "import { StoreInUseError } from '../../store-server'\nexport const x = StoreInUseError\n"],
    ['src/main/index.ts', "import { app } from 'electron'\nexport const x = app\n"],
    ['src/main/ipc/register.ts', "import { ipcMain } from 'electron'\nexport const x = ipcMain\n"],
    ['src/preload/index.ts', "import { contextBridge } from 'electron'\nexport const x = contextBridge\n"],
    ['src/sim/x.ts', "import { createLogger } from '../main/log/logger'\nexport const x = createLogger\n"],
    ['src/main/x.ts', "import { readFile } from 'node:fs/promises'\nexport const x = readFile\n"]
  ]
  it.each(allowed)('allows in %s: %s', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([])
  })

  it('has a layer for every top-level folder of src/', () => {
    for (const folder of ['src/shared/', 'src/renderer/', 'src/preload/', 'src/main/', 'src/store-server/', 'src/sim/']) {
      expect(LAYERS.some((layer) => layer.files.includes(folder)), folder).toBe(true)
    }
    expect(importProblem('tests/x.test.ts', '../src/sim')).toBeUndefined()
  })
})
