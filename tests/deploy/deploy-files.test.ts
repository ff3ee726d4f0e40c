/**
 * The deployment files of service mode (deploy/): the systemd units pass `systemd-analyze verify`
 * without a single warning and `systemd-analyze security` rates them at most 2.5 (Debian's systemd
 * package; CI installs it, see .ci/run), and every unit is checked here too: its sections and keys,
 * the hardening the docs promise, a dedicated user, the command it runs. The container file cannot
 * be built on these machines (no container engine runs here): its instructions are checked against
 * the repository (what it copies exists, the command and health check it names are the service's).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/paths'

const SYSTEMD = join(REPO_ROOT, 'deploy', 'systemd')
const UNITS = ['stats2-serve.service', 'stats2-update.service', 'stats2-update.timer']
const ANALYZE = '/usr/bin/systemd-analyze'

type Unit = Map<string, Array<[string, string]>>

/** An INI-like unit file: `[Section]`, `Key=Value`, comments; anything else fails. */
function parseUnit(text: string, name: string): Unit {
  const unit: Unit = new Map()
  let section: Array<[string, string]> | undefined
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return
    const header = /^\[([A-Za-z]+)\]$/.exec(line)
    if (header) {
      section = []
      unit.set(header[1]!, section)
      return
    }
    const pair = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line)
    if (!pair || !section) throw new Error(`${name}:${index + 1}: not a key=value line in a section: ${line}`)
    section.push([pair[1]!, pair[2]!])
  })
  return unit
}

const values = (unit: Unit, section: string, key: string): string[] => (unit.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v)

describe('systemd units', () => {
  const parsed = Object.fromEntries(UNITS.map((name) => [name, parseUnit(readFileSync(join(SYSTEMD, name), 'utf8'), name)]))

  it('systemd-analyze verify: no warning at all; security: exposure at most 2.5', () => {
    if (!existsSync(ANALYZE)) {
      // Said out loud, not silently passed: the structural checks below still ran.
      console.warn(`deploy-files: ${ANALYZE} is absent (Debian package "systemd"): the units were checked by this test's own parser only`)
      expect(existsSync(ANALYZE), 'install Debian\'s systemd package (CI does: .ci/run)').toBe(process.env.CI ? true : false)
      return
    }
    // The timer needs its service beside it; a copy keeps the check away from the system's units.
    const dir = mkdtempSync(join(tmpdir(), 'stats2-units-'))
    try {
      for (const name of UNITS) writeFileSync(join(dir, name), readFileSync(join(SYSTEMD, name)))
      for (const name of UNITS) {
        const verify = spawnSync(ANALYZE, ['verify', '--man=no', join(dir, name)], { encoding: 'utf8', cwd: dir })
        expect({ name, status: verify.status, output: `${verify.stdout}${verify.stderr}`.trim() }).toEqual({ name, status: 0, output: '' })
      }
      for (const name of UNITS.filter((unit) => unit.endsWith('.service'))) {
        const security = spawnSync(ANALYZE, ['security', '--offline=true', '--threshold=25', '--no-pager', join(dir, name)], { encoding: 'utf8', cwd: dir })
        expect(security.status, `${name}: ${security.stdout.split('\n').filter((l) => l.includes('Overall')).join('')}`).toBe(0)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it.each(['stats2-serve.service', 'stats2-update.service'])('%s: a dedicated user, the hardening, only its state folder writable', (name) => {
    const unit = parsed[name]!
    expect(values(unit, 'Service', 'User')).toEqual(['stats2'])
    for (const [key, value] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes'], ['CapabilityBoundingSet', ''], ['RestrictSUIDSGID', 'yes']] as const) {
      expect(values(unit, 'Service', key), `${name} ${key}`).toEqual([value])
    }
    const writable = values(unit, 'Service', 'ReadWritePaths').flatMap((v) => v.split(/\s+/))
    expect(writable).toContain('/var/lib/stats2')
    expect(writable.every((path) => path.startsWith('/var/lib/'))).toBe(true)
    expect(values(unit, 'Service', 'EnvironmentFile')).toEqual(['/etc/stats2/stats2.env'])
    // It runs this repository's stats2 command.
    const [exec] = values(unit, 'Service', 'ExecStart')
    expect(exec).toMatch(/^\/usr\/bin\/node \/opt\/stats2\/bin\/stats2\.cjs (serve|update)\b/)
    expect(existsSync(join(REPO_ROOT, 'bin', 'stats2.cjs'))).toBe(true)
  })

  it('the update is a oneshot started by the timer, with its metrics for the textfile collector', () => {
    const service = parsed['stats2-update.service']!
    const timer = parsed['stats2-update.timer']!
    expect(values(service, 'Service', 'Type')).toEqual(['oneshot'])
    expect(values(service, 'Service', 'ExecStart')[0]).toMatch(/ update --metrics-file \/var\/lib\/prometheus\/node-exporter\/stats2\.prom$/)
    expect(values(service, 'Service', 'ReadWritePaths')[0]).toContain('/var/lib/prometheus/node-exporter')
    expect(values(timer, 'Timer', 'Unit')).toEqual(['stats2-update.service'])
    expect(values(timer, 'Timer', 'OnCalendar')).toEqual(['*:0/30'])
    expect(values(timer, 'Install', 'WantedBy')).toEqual(['timers.target'])
    const sysusers = readFileSync(join(SYSTEMD, 'stats2.sysusers.conf'), 'utf8')
    expect(sysusers).toMatch(/^u stats2 - "Stats2 service" \/var\/lib\/stats2 \/usr\/sbin\/nologin$/m)
  })
})

describe('the container file (not built here)', () => {
  const text = readFileSync(join(REPO_ROOT, 'deploy', 'container', 'Containerfile'), 'utf8')
  // Instructions with their continuation lines joined.
  const instructions = text.replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))

  it('copies only what the repository has, and runs the service as an unprivileged user', () => {
    const stages = instructions.filter((l) => l.startsWith('FROM '))
    expect(stages).toHaveLength(2)
    for (const line of instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      const parts = line.split(/\s+/).slice(1, -1)
      for (const source of parts) expect(existsSync(join(REPO_ROOT, source)), `${line}: ${source}`).toBe(true)
    }
    const lastStage = instructions.slice(instructions.lastIndexOf(stages[1]!))
    const user = lastStage.filter((l) => l.startsWith('USER ')).at(-1)
    expect(user).toBe('USER stats2')
    expect(lastStage.findIndex((l) => l.startsWith('USER '))).toBeLessThan(lastStage.findIndex((l) => l.startsWith('CMD ')))
  })

  it('serves on the exposed port, and its health check asks the service\'s /healthz', () => {
    const cmd = JSON.parse(instructions.find((l) => l.startsWith('CMD '))!.slice(4)) as string[]
    const entry = JSON.parse(instructions.find((l) => l.startsWith('ENTRYPOINT '))!.slice(11)) as string[]
    expect(entry).toEqual(['node', '/opt/stats2/bin/stats2.cjs'])
    expect(cmd.slice(0, 1)).toEqual(['serve'])
    const port = cmd[cmd.indexOf('--port') + 1]
    expect(instructions).toContain(`EXPOSE ${port}`)
    const base = cmd[cmd.indexOf('--base-path') + 1]
    expect(instructions.find((l) => l.startsWith('HEALTHCHECK '))).toContain(`http://127.0.0.1:${port}${base}/healthz`)
    expect(instructions).toContain('STOPSIGNAL SIGTERM')
  })
})
