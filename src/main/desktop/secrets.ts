/**
 * Where the desktop keeps secrets (the key passphrase, a CouchDB password). Only encrypted storage
 * persists them; without it (no OS keyring), they live for this session only. Never plain files.
 */
import { readFile, writeFile, rename } from 'node:fs/promises'
import { join } from 'node:path'

export type SecretName = 'passphrase' | 'databasePassword' | 'replicaPassword'

export interface SecretStore {
  /** True when secrets survive a restart (OS-encrypted). */
  readonly persistent: boolean
  get(name: SecretName): string | undefined
  /** Keeps a secret; `remember` false (or no encryption) keeps it for this session only. */
  set(name: SecretName, value: string | undefined, remember: boolean): Promise<void>
  isStored(name: SecretName): boolean
}

/** Session-only secrets (browser mode, CLI, a machine without a keyring). */
export class MemorySecretStore implements SecretStore {
  readonly persistent: boolean = false
  protected readonly values = new Map<SecretName, string>()

  get(name: SecretName): string | undefined {
    return this.values.get(name)
  }

  async set(name: SecretName, value: string | undefined, _remember = false): Promise<void> {
    if (value === undefined || value === '') this.values.delete(name)
    else this.values.set(name, value)
  }

  isStored(name: SecretName): boolean {
    return this.values.has(name)
  }
}

/** OS encryption as Electron's safeStorage offers it; injected so this module stays Electron-free. */
export interface SecretCipher {
  encrypt(plain: string): Buffer
  decrypt(encrypted: Buffer): string
}

/**
 * Secrets encrypted by the OS (`cipher`) in `<dir>/secrets.json` (base64 of the ciphertext, mode 0600);
 * those not to be remembered stay in memory.
 */
export class EncryptedSecretStore extends MemorySecretStore {
  override readonly persistent = true
  private readonly remembered = new Set<SecretName>()

  private constructor(private readonly file: string, private readonly cipher: SecretCipher) {
    super()
  }

  static async open(dir: string, cipher: SecretCipher): Promise<EncryptedSecretStore> {
    const store = new EncryptedSecretStore(join(dir, 'secrets.json'), cipher)
    try {
      const saved = JSON.parse(await readFile(store.file, 'utf8')) as Partial<Record<SecretName, string>>
      for (const [name, encrypted] of Object.entries(saved)) {
        if (typeof encrypted !== 'string') continue
        store.values.set(name as SecretName, cipher.decrypt(Buffer.from(encrypted, 'base64')))
        store.remembered.add(name as SecretName)
      }
    } catch {
      // No file yet, or one this OS user can no longer decrypt: start empty.
    }
    return store
  }

  override async set(name: SecretName, value: string | undefined, remember: boolean): Promise<void> {
    await super.set(name, value)
    if (value && remember) this.remembered.add(name)
    else this.remembered.delete(name)
    const saved: Partial<Record<SecretName, string>> = {}
    for (const key of this.remembered) {
      const plain = this.values.get(key)
      if (plain !== undefined) saved[key] = this.cipher.encrypt(plain).toString('base64')
    }
    const temp = `${this.file}.tmp`
    await writeFile(temp, JSON.stringify(saved), { mode: 0o600 })
    await rename(temp, this.file)
  }

  override isStored(name: SecretName): boolean {
    return this.remembered.has(name)
  }
}
