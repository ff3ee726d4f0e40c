/**
 * Which stored workflows the updater no longer updates because they are outside the sync scope,
 * kept in `all_settings` as the smaller of two lists: the excluded names (`scope_excluded`, the usual
 * case: a store that grew inside its scope) or the followed ones (`scope_followed`, when a large
 * store — e.g. the production Stats2 CouchDB — is given a small scope). Either way the settings
 * document stays far below CouchDB's document size limit.
 */
export interface MembershipSettings {
  scope_excluded?: string[]
  scope_followed?: string[]
}

export class ScopeMembership {
  private constructor(private mode: 'excluded' | 'followed', private readonly names: Set<string>) {}

  static fromSettings(settings: MembershipSettings): ScopeMembership {
    if (settings.scope_followed) return new ScopeMembership('followed', new Set(settings.scope_followed))
    return new ScopeMembership('excluded', new Set(settings.scope_excluded ?? []))
  }

  /** After a scope change: `stored` names, of which `wanted` are in the scope. */
  static compute(stored: Iterable<string>, wanted: ReadonlySet<string>): ScopeMembership {
    const excluded = new Set<string>()
    const followed = new Set<string>()
    for (const name of stored) (wanted.has(name) ? followed : excluded).add(name)
    // Workflows fetched for the scope join `followed` as they are stored.
    return excluded.size <= followed.size + wanted.size ? new ScopeMembership('excluded', excluded) : new ScopeMembership('followed', followed)
  }

  /** A stored workflow outside the scope (a name that is not stored may count as excluded in "followed" mode: it has no document anyway). */
  isExcluded(name: string): boolean {
    return this.mode === 'excluded' ? this.names.has(name) : !this.names.has(name)
  }

  exclude(name: string): void {
    if (this.mode === 'excluded') this.names.add(name)
    else this.names.delete(name)
  }

  include(name: string): void {
    if (this.mode === 'excluded') this.names.delete(name)
    else this.names.add(name)
  }

  toSettings(): { scope_excluded: string[] | undefined; scope_followed: string[] | undefined } {
    const names = [...this.names].sort()
    return this.mode === 'excluded' ? { scope_excluded: names, scope_followed: undefined } : { scope_excluded: undefined, scope_followed: names }
  }
}
