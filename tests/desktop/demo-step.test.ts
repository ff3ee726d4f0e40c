/** The desktop app's demo pace from its command line (`--demo-step-ms=N`, as `stats2 ui --demo-step-ms`). */
import { describe, expect, it } from 'vitest'
import { DEMO_STEP_MS, demoStepMs } from '../../src/main/desktop/demo'

describe('demo pace on the desktop command line', () => {
  it('is a step every 20 s unless --demo-step-ms=N says otherwise', () => {
    expect(demoStepMs(['/opt/Stats2/stats2-desktop'])).toBe(DEMO_STEP_MS)
    expect(DEMO_STEP_MS).toBe(20_000)
    expect(demoStepMs(['electron', '.', '--demo-step-ms=1500'])).toBe(1500)
    expect(demoStepMs(['electron', '.', '--demo-step-ms=0'])).toBe(0)
  })

  it('ignores what is not a whole number of milliseconds', () => {
    for (const arg of ['--demo-step-ms=', '--demo-step-ms=-5', '--demo-step-ms=1.5', '--demo-step-ms=abc', '--demo-step-ms', '--demo-step-ms=1e3', '--demo-step-ms=9999999999']) {
      expect(demoStepMs(['electron', '.', arg]), arg).toBe(DEMO_STEP_MS)
    }
  })
})
