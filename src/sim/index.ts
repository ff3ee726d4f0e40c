/**
 * The cmsweb simulator: demo mode of the desktop app and the updater's test fixture.
 */
export {
  loadScenario,
  loadExpected,
  writeScenario,
  rawDocument,
  rawText,
  ScenarioError,
  type Scenario,
  type ScenarioStep,
  type DbsDatasetRecord,
  type DbsFileRecord,
  type LoadOptions
} from './scenario'
export { generateScenario, generateWorld, materialise, GeneratedWorld, STATUSES, type GenerateOptions } from './generator'
export { startSimulator, type Simulator, type SimulatorOptions, type SimNotification } from './server'
export { type FaultOptions } from './faults'
export { formatSeq, parseSince, DESIGN_DOC_ID } from './timeline'
