/** This build's version (package.json's, inlined by the build). */
import { version } from '../../../package.json'

export const STATS2_VERSION: string = version
