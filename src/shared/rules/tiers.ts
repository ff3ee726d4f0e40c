/** Data-tier order used by Stats2 to sort a workflow's output datasets (spec §2). */
export const TIER_ORDER: readonly string[] = [
  'USER', 'FEVT', 'RAW-HLT', 'ALCARECO', 'ALCAPROMPT', 'HLT', 'DQM', 'DQMIO', 'DQMROOT',
  'GEN-SIM-RECODEBUG', 'GEN-SIM-DIGI-RECODEBUG', 'GEN-SIM-RAWDEBUG', 'GEN-SIM-RAW-HLTDEBUG',
  'GEN-SIM-RAW-HLTDEBUG-RECO', 'GEN-SIM-RAW-HLTDEBUG-RECODEBUG', 'GEN-SIM-DIGI-RAW-HLTDEBUG-RECO',
  'GEN-SIM-DIGI-RAW-HLTDEBUG', 'GEN-SIM-DIGI-HLTDEBUG-RECO', 'GEN-SIM-DIGI-HLTDEBUG', 'FEVTDEBUGHLT',
  'GEN-RAWDEBUG', 'RAWDEBUG', 'RECODEBUG', 'HLTDEBUG', 'RAWRECOSIMHLT', 'RAW-RECOSIMHLT', 'RECOSIMHLT',
  'FEVTHLTALL', 'PREMIXRAW', 'PREMIX-RAW', 'RAW', 'RAW-RECO', 'LHE', 'GEN', 'GEN-RAW', 'GEN-SIM', 'SIM',
  'DIGI', 'DIGI-RECO', 'RECO', 'RAWAODSIM', 'GEN-SIM-RECO', 'GEN-SIM-RAW', 'GEN-SIM-RAW-HLT',
  'GEN-SIM-RAW-RECO', 'GEN-SIM-DIGI', 'GEN-SIM-DIGI-RECO', 'GEN-SIM-DIGI-RAW', 'GEN-SIM-DIGI-RAW-RECO',
  'AOD', 'AODSIM', 'MINIAOD', 'MINIAODSIM', 'NANOAOD', 'NANOAODSIM'
]

const RANK = new Map(TIER_ORDER.map((tier, index) => [tier, index]))

/** The data tier of a dataset name: its last `/` part. */
export function tierOf(dataset: string): string {
  const parts = dataset.split('/')
  return parts[parts.length - 1] ?? ''
}

/** Rank of a tier; an unknown tier ranks before every known one (-1). */
export function tierRank(dataset: string): number {
  return RANK.get(tierOf(dataset)) ?? -1
}

/** Stable sort by tier rank (Array.prototype.sort is stable). */
export function sortByTier(datasets: readonly string[]): string[] {
  return [...datasets].sort((a, b) => tierRank(a) - tierRank(b))
}
