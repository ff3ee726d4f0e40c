#!/usr/bin/env node
// @ts-check
/**
 * Renders resources/icon.svg into every icon the platforms need, and writes them into resources/:
 * icon.png (512), icons/NxN.png (Linux desktop entry and AppImage), icon.ico (Windows: PNG
 * entries 16–256) and icon.icns (macOS: PNG entries 16–1024). The generated files are committed, so
 * nobody needs this to build; run it after changing the SVG: `node scripts/make-icons.mjs`.
 * Rasterised by Debian's Chromium through playwright-core (already used by the tests); the ICO and
 * ICNS containers are written here (both are a small header plus the PNGs).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const resources = join(root, 'resources')
const CHROMIUM = process.env.STATS2_CHROMIUM ?? '/usr/bin/chromium'

const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512]
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]
/** ICNS element types holding PNG data, by pixel size. */
const ICNS_TYPES = /** @type {const} */ ([['icp4', 16], ['icp5', 32], ['icp6', 64], ['ic07', 128], ['ic08', 256], ['ic09', 512], ['ic10', 1024]])

/**
 * @param {number[]} sizes
 * @returns {Promise<Map<number, Buffer>>}
 */
async function render(sizes) {
  const svg = await readFile(join(resources, 'icon.svg'), 'utf8')
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] })
  try {
    const page = await browser.newPage()
    const pngs = new Map()
    for (const size of sizes) {
      await page.setViewportSize({ width: size, height: size })
      const sized = svg.replace(/width="512" height="512"/, `width="${size}" height="${size}"`)
      await page.setContent(`<html><body style="margin:0;background:transparent">${sized}</body></html>`)
      pngs.set(size, await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } }))
    }
    return pngs
  } finally {
    await browser.close()
  }
}

/** An ICO file of PNG images (Windows Vista and later read PNG entries). @param {Array<[number, Buffer]>} images */
export function ico(images) {
  const header = Buffer.alloc(6)
  header.writeUInt16LE(0, 0)
  header.writeUInt16LE(1, 2)
  header.writeUInt16LE(images.length, 4)
  let offset = 6 + 16 * images.length
  const entries = images.map(([size, png]) => {
    const entry = Buffer.alloc(16)
    entry.writeUInt8(size >= 256 ? 0 : size, 0)
    entry.writeUInt8(size >= 256 ? 0 : size, 1)
    entry.writeUInt16LE(1, 4)
    entry.writeUInt16LE(32, 6)
    entry.writeUInt32LE(png.length, 8)
    entry.writeUInt32LE(offset, 12)
    offset += png.length
    return entry
  })
  return Buffer.concat([header, ...entries, ...images.map(([, png]) => png)])
}

/** An ICNS file of PNG elements. @param {Array<[string, Buffer]>} elements */
export function icns(elements) {
  const parts = elements.map(([type, png]) => {
    const head = Buffer.alloc(8)
    head.write(type, 0, 'ascii')
    head.writeUInt32BE(png.length + 8, 4)
    return Buffer.concat([head, png])
  })
  const head = Buffer.alloc(8)
  head.write('icns', 0, 'ascii')
  head.writeUInt32BE(8 + parts.reduce((sum, part) => sum + part.length, 0), 4)
  return Buffer.concat([head, ...parts])
}

async function main() {
  const sizes = [...new Set([...LINUX_SIZES, ...ICO_SIZES, ...ICNS_TYPES.map(([, size]) => size)])].sort((a, b) => a - b)
  const pngs = await render(sizes)
  const png = (/** @type {number} */ size) => /** @type {Buffer} */ (pngs.get(size))
  await mkdir(join(resources, 'icons'), { recursive: true })
  for (const size of LINUX_SIZES) await writeFile(join(resources, 'icons', `${size}x${size}.png`), png(size))
  await writeFile(join(resources, 'icon.png'), png(512))
  await writeFile(join(resources, 'icon.ico'), ico(ICO_SIZES.map((size) => [size, png(size)])))
  await writeFile(join(resources, 'icon.icns'), icns(ICNS_TYPES.map(([type, size]) => [type, png(size)])))
  process.stdout.write(`icons written to ${resources}\n`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`make-icons: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  })
}
