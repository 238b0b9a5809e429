// Vision in the engine with tiny random checkpoints in HF layout (written
// here): CLIP image embeddings match a plain-TypeScript forward of the same
// weights; SigLIP image/text towers, SmolVLM (Idefics3) pixel-shuffle
// connector and LLaVA MLP projector give decoder-space image tokens of the
// right shape; png, jpeg and webp data URIs decode through sharp.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchImage } from '../../../src/engine/vision/fetchImage.ts'
import { loadVisionModel } from '../../../src/engine/vision/loadVisionModel.ts'
import { preprocessImage } from '../../../src/engine/vision/preprocessImage.ts'
import { hasEncoders } from '../../helpers/encoders.ts'
import {
  clipImageReference,
  V,
  writeTinyVision,
} from '../../helpers/tinyVision.ts'

let dir: string
let png: Buffer
let jpeg: Buffer
let webp: Buffer

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pocket-vision-'))
  // A 48x40 gradient: every patch differs, so patch order errors show up.
  const w = 48,
    h = 40
  const raw = Buffer.alloc(w * h * 3)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      raw.set(
        [(x * 5) % 256, (y * 6) % 256, ((x + y) * 3) % 256],
        (y * w + x) * 3,
      )
  const img = () => sharp(raw, { raw: { width: w, height: h, channels: 3 } })
  png = await img().png().toBuffer()
  jpeg = await img().jpeg({ quality: 95 }).toBuffer()
  webp = await img().webp({ lossless: true }).toBuffer()
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const uri = (mime: string, b: Buffer) =>
  `data:${mime};base64,${b.toString('base64')}`
const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0,
    x = 0,
    y = 0
  for (let i = 0; i < a.length; i++) {
    d += (a[i] as number) * (b[i] as number)
    x += (a[i] as number) ** 2
    y += (b[i] as number) ** 2
  }
  return d / Math.sqrt(x * y)
}

describe('image input', () => {
  it('decodes png, jpeg and webp data URIs to normalized pixels', async () => {
    const p = {
      size: 32,
      mean: [0.5, 0.5, 0.5] as [number, number, number],
      std: [0.5, 0.5, 0.5] as [number, number, number],
      centerCrop: false,
    }
    const out: Float32Array[] = []
    for (const [mime, b] of [
      ['image/png', png],
      ['image/jpeg', jpeg],
      ['image/webp', webp],
    ] as const) {
      const img = await fetchImage(uri(mime, b))
      expect(img.mimeType).toBe(mime)
      const px = await preprocessImage(img.data, p)
      expect(px.pixels.length).toBe(32 * 32 * 3)
      expect(Math.max(...px.pixels)).toBeLessThanOrEqual(1)
      expect(Math.min(...px.pixels)).toBeGreaterThanOrEqual(-1)
      out.push(px.pixels)
    }
    // Lossless webp decodes to (nearly) the png's pixels; jpeg is close.
    expect(
      Math.max(...out[2]!.map((v, i) => Math.abs(v - out[0]![i]!))),
    ).toBeLessThan(0.05)
    expect(cosine(out[1]!, out[0]!)).toBeGreaterThan(0.99) // jpeg is close
  })

  it('rejects bad data URIs and undecodable bytes with clear errors', async () => {
    await expect(fetchImage('data:image/bmp;base64,AAAA')).rejects.toThrow(
      /unsupported image type/,
    )
    await expect(fetchImage('data:image/png,abc')).rejects.toThrow(/base64/)
    await expect(fetchImage('ftp://x/y.png')).rejects.toThrow(
      /data: URI or an http/,
    )
    await expect(
      fetchImage(uri('image/png', png), { maxBytes: 100 }),
    ).rejects.toThrow(/larger than/)
    const junk = await fetchImage(uri('image/png', Buffer.from('not an image')))
    await expect(
      preprocessImage(junk.data, {
        size: 8,
        mean: [0, 0, 0],
        std: [1, 1, 1],
        centerCrop: false,
      }),
    ).rejects.toThrow(/cannot decode/)
  })
})

describe.skipIf(!hasEncoders)('vision towers (tiny random checkpoints)', () => {
  it('CLIP image embeddings match an independent TypeScript forward', async () => {
    const weights = writeTinyVision(join(dir, 'clip'), 'clip')
    await using model = await loadVisionModel(join(dir, 'clip'))
    expect(model.dimensions).toBe(V.proj)
    const [png1, jpg1, webp1] = await model.embedImages([png, jpeg, webp])
    const pixels = (await preprocessImage(png, model.config.processing)).pixels
    const ref = clipImageReference(weights, pixels)
    expect(cosine(png1!, ref)).toBeGreaterThan(0.99999)
    for (let i = 0; i < ref.length; i++)
      expect(png1![i]).toBeCloseTo(ref[i]!, 4)
    expect(cosine(webp1!, png1!)).toBeGreaterThan(0.999)
    expect(cosine(jpg1!, png1!)).toBeGreaterThan(0.9)
    const texts = await model.embedTexts(['a photo of a cat', 'a red square'])
    expect(texts).toHaveLength(2)
    expect(Math.hypot(...texts[0]!)).toBeCloseTo(1, 5)
    expect(cosine(texts[0]!, texts[1]!)).toBeLessThan(0.99999)
  })

  it('SigLIP (attention-pooling head, last-token text pooling) embeds images and text', async () => {
    writeTinyVision(join(dir, 'siglip'), 'siglip')
    await using model = await loadVisionModel(join(dir, 'siglip'))
    const [a, b] = await model.embedImages([png, webp])
    expect(a).toHaveLength(V.hidden)
    expect(Math.hypot(...a!)).toBeCloseTo(1, 5)
    expect(cosine(a!, b!)).toBeGreaterThan(0.99)
    const [t] = await model.embedTexts(['a blue circle'])
    expect(t).toHaveLength(V.text)
  })

  it('SmolVLM/Idefics3: pixel shuffle + connector gives decoder-space tokens', async () => {
    writeTinyVision(join(dir, 'idefics3'), 'idefics3')
    await using model = await loadVisionModel(join(dir, 'idefics3'))
    const f = await model.imageFeatures(png)
    // 4x4 patches, shuffled by 2 -> 4 tokens of the decoder's width.
    expect(f.shape).toEqual([4, V.lm])
    expect(f.data.every(Number.isFinite)).toBe(true)
    await expect(model.embedImages([png])).rejects.toThrow(/decoder features/)
  })

  it('LLaVA: second-to-last layer, CLS dropped, 2-layer MLP projector', async () => {
    writeTinyVision(join(dir, 'llava'), 'llava')
    await using model = await loadVisionModel(join(dir, 'llava'))
    const f = await model.imageFeatures(png)
    expect(f.shape).toEqual([16, V.lm])
  })

  it('turns a broken checkpoint into a load error, not a crash', async () => {
    writeTinyVision(join(dir, 'broken'), 'clip')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(
      join(dir, 'broken', 'model.safetensors'),
      Buffer.from('garbage'),
    )
    await expect(loadVisionModel(join(dir, 'broken'))).rejects.toThrow(
      /Could not load model/,
    )
  })
})
