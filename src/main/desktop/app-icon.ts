/** The window icon (Linux and Windows title bars and task bars; macOS takes the bundle's). */
import { join } from 'node:path'

/**
 * Installed: `resources/icon.png` beside app.asar (electron-builder's extraResources).
 * From a checkout: the project's resources/icon.png (main runs from out/main).
 */
export function appIconPath(options: { packaged: boolean; resourcesPath: string; mainDir: string }): string {
  return options.packaged ? join(options.resourcesPath, 'icon.png') : join(options.mainDir, '..', '..', 'resources', 'icon.png')
}
