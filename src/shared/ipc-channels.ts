/**
 * The names of the IPC channels and events, with no dependency: the sandboxed preload builds
 * `window.stats2` from these lists (it cannot load zod). `ipc-contract.ts` gives each its schema
 * and types and checks at compile time that both lists agree.
 */
export const CHANNEL_NAMES = [
  'search', 'getWorkflow', 'getWorkflowChart', 'getSearchHistory', 'updateSelected', 'updateAll', 'cancelUpdate', 'getUpdaterState',
  'getStatus', 'getSettings', 'setSettings', 'testConnection', 'exportSearch', 'exportWorkflow', 'openExternal',
  'startDemo', 'stopDemo',
  'getWatchlist', 'watchlistAdd', 'watchlistRemove', 'setWatchlistOptions', 'updateWatchlist',
  'pullReplica', 'stopReplica', 'getReplicaState',
  'getOverview', 'getOverviewList', 'markOverviewLook'
] as const
export type ChannelName = (typeof CHANNEL_NAMES)[number]

export const EVENT_NAMES = ['updaterState', 'statusChanged', 'watchNotifications', 'replicaState'] as const
export type EventName = (typeof EVENT_NAMES)[number]

/** The Electron channel string of a contract entry. */
export const ipcChannel = (name: ChannelName | EventName): string => `stats2:${name}`
