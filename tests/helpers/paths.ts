import { resolve } from 'node:path'

export const REPO_ROOT = resolve(__dirname, '..', '..')
/** The shared reference material beside the checkout (CI has it at the same place). */
export const SHARED_DIR = process.env.STATS2_SHARED_DIR ?? resolve(REPO_ROOT, '..', 'shared')
export const CONFORMANCE_DIR = resolve(SHARED_DIR, 'conformance')
export const REFERENCE_DIR = resolve(SHARED_DIR, 'reference', 'cmsweb')
