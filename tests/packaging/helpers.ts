/**
 * Helpers for the launch and packaging tests. The Electron binary cannot be downloaded on these
 * machines, so a stand-in executable takes its place: a small Node script that records the
 * arguments, working folder and environment it was started with (and, under `npm run dev`, fetches
 * the dev server's page), then exits.
 */
import { spawn } from 'node:child_process'
import { chmod, copyFile, cp, mkdir, readdir, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { REPO_ROOT } from '../helpers/paths'

export interface StandInRecord {
  argv: string[]
  cwd: string
  env: Record<string, string>
  rendererStatus?: number
}

/** A folder shaped like an Electron distribution whose `electron` executable is the recorder. */
export async function makeStandInElectron(dir: string, recordFile: string): Promise<string> {
  await mkdir(dir, { recursive: true })
  const executable = join(dir, 'electron')
  const script = `#!${process.execPath}
// Stand-in for the Electron binary (it cannot be downloaded here): records how it was started.
const fs = require('node:fs')
const record = { argv: process.argv.slice(2), cwd: process.cwd(), env: process.env }
const done = () => { fs.writeFileSync(${JSON.stringify(recordFile)}, JSON.stringify(record)); process.exit(0) }
if (process.env.ELECTRON_RENDERER_URL) {
  fetch(process.env.ELECTRON_RENDERER_URL).then((r) => { record.rendererStatus = r.status; done() }, () => done())
} else done()
`
  await writeFile(executable, script)
  await chmod(executable, 0o755)
  await writeFile(join(dir, 'version'), 'v45.5.0')
  return executable
}

/**
 * A throw-away copy of the project that `npm start` can build into without touching the checkout's
 * out/ (other tests read it): sources linked, scripts and configs copied, node_modules linked entry
 * by entry except `electron`, which is copied without any installed binary.
 */
export async function makeProjectCopy(dir: string): Promise<string> {
  await mkdir(join(dir, 'node_modules'), { recursive: true })
  for (const file of ['package.json', 'electron.vite.config.ts', 'tsconfig.json', 'tsconfig.base.json', 'tsconfig.web.json']) {
    await copyFile(join(REPO_ROOT, file), join(dir, file))
  }
  await cp(join(REPO_ROOT, 'scripts'), join(dir, 'scripts'), { recursive: true })
  await symlink(join(REPO_ROOT, 'src'), join(dir, 'src'))
  for (const entry of await readdir(join(REPO_ROOT, 'node_modules'))) {
    if (entry === 'electron' || entry === '.vite' || entry === '.package-lock.json') continue
    await symlink(join(REPO_ROOT, 'node_modules', entry), join(dir, 'node_modules', entry))
  }
  const electron = join(dir, 'node_modules', 'electron')
  await mkdir(electron)
  for (const file of ['package.json', 'index.js', 'install.js', 'cli.js', 'checksums.json']) {
    await copyFile(join(REPO_ROOT, 'node_modules', 'electron', file), join(electron, file))
  }
  return dir
}

/** A 127.0.0.1 port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a command to its end (or kills it after `timeoutMs`), capturing its output. */
export function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** The environment without anything that would point Electron's tools at a real binary or cache. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of ['ELECTRON_EXEC_PATH', 'ELECTRON_OVERRIDE_DIST_PATH', 'ELECTRON_MIRROR', 'ELECTRON_RUN_AS_NODE', 'ELECTRON_RENDERER_URL', 'npm_config_electron_mirror']) {
    delete env[name]
  }
  return { ...env, ...extra }
}
