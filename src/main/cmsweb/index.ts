export * from './credentials'
export * from './trust'
export * from './errors'
export * from './client'
