// Decodes an image (png, jpeg, webp, gif; sniffed from its bytes) with sharp
// and turns it into the float pixels a vision tower expects: RGB, resized
// (shortest side + center crop for CLIP, a plain square resize otherwise),
// scaled to [0, 1] and normalized per channel. Layout [H, W, 3].
import sharp from 'sharp'
import { InvalidOptionError } from '../errors.ts'

export type ImageProcessing = {
  size: number
  mean: [number, number, number]
  std: [number, number, number]
  /** Resize the shortest side then center-crop (CLIP), else squash to a square. */
  centerCrop: boolean
}

export type PreprocessedImage = {
  pixels: Float32Array
  height: number
  width: number
}

const MAX_PIXELS = 64 * 1024 * 1024

export async function preprocessImage(
  data: Uint8Array,
  p: ImageProcessing,
): Promise<PreprocessedImage> {
  let raw: Buffer
  try {
    const img = sharp(data, { limitInputPixels: MAX_PIXELS, failOn: 'error' })
      .removeAlpha()
      .toColourspace('srgb')
    const resized = p.centerCrop
      ? img.resize(p.size, p.size, {
          fit: 'cover',
          position: 'centre',
          kernel: 'cubic',
        })
      : img.resize(p.size, p.size, { fit: 'fill', kernel: 'cubic' })
    raw = await resized.raw().toBuffer()
  } catch (cause) {
    throw new InvalidOptionError(
      'image_url',
      `cannot decode the image (${(cause as Error).message})`,
    )
  }
  if (raw.length !== p.size * p.size * 3)
    throw new InvalidOptionError('image_url', 'unexpected decoded image size')
  const pixels = new Float32Array(raw.length)
  for (let i = 0; i < raw.length; i++) {
    const c = i % 3
    pixels[i] = ((raw[i] as number) / 255 - p.mean[c]!) / p.std[c]!
  }
  return { pixels, height: p.size, width: p.size }
}
