/**
 * Per-command help: `stats2 <command> --help` / `-h` and `stats2 help <command>`, through the built
 * command in a child process (as an operator types it) and in-process for every listed command.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { USAGE } from '../../src/main/cli/main'
import { asksForHelp, commandHelp } from '../../src/main/cli/help'
import { REPO_ROOT } from '../helpers/paths'
import { runCli } from '../helpers/cli'

/** The commands the general usage lists. */
const COMMANDS = [...USAGE.split('Commands:')[1]!.split('\n\n')[0]!.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((match) => match[1]!)

describe('stats2 <command> --help', () => {
  it('prints the command\'s own help from the built bin, exit 0 (sim --help used to be "Unknown option")', () => {
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'stats2.cjs'), 'sim', '--help'], { encoding: 'utf8' })
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/^Usage: stats2 sim --scenario DIR \| --generate N/)
    expect(result.stdout).toContain('--tls-dir DIR')
    expect(result.stderr).toBe('')
  })

  it('has help for every listed command, the same from --help, -h and help <command>', async () => {
    expect(COMMANDS).toEqual(expect.arrayContaining(['update', 'see', 'dump', 'search', 'sim', 'ui']))
    for (const command of COMMANDS) {
      const long = await runCli([command, '--help'], {})
      expect(long.code, command).toBe(0)
      expect(long.out, command).toMatch(new RegExp(`^Usage: stats2 ${command}\\b`))
      expect(long.out).not.toContain('Commands:')
      expect((await runCli([command, '-h'], {})).out).toBe(long.out)
      expect((await runCli(['help', command], {})).out).toBe(long.out)
    }
  })

  it('answers an unknown command with the usage and exit 2', async () => {
    const result = await runCli(['help', 'nope'], {})
    expect(result.code).toBe(2)
    expect(result.err).toContain('Unknown command "nope"')
    expect((await runCli(['nope', '--help'], {})).code).toBe(2)
  })

  it('does not take an argument after -- for a help request', async () => {
    expect(asksForHelp(['NAME', '--', '--help'])).toBe(false)
    expect(asksForHelp(['--page', '2', '-h'])).toBe(true)
  })

  it('gives a command that only the usage lists its lines from there', () => {
    const usage = 'Commands:\n  frob [--x N]\n                      Frobs the store.\n                      Twice.\n  quux                Quuxes.\n\nEnvironment: …\n'
    expect(commandHelp('frob', usage)).toBe('Usage: stats2 frob [--x N]\n\nFrobs the store.\nTwice.\n')
    expect(commandHelp('quux', usage)).toBe('Usage: stats2 quux\n\nQuuxes.\n')
    expect(commandHelp('zap', usage)).toBeUndefined()
  })
})
