// Images dropped or picked for a vision model, read as data: URLs (what
// the OpenAI API takes). Only types the server decodes are accepted.
import type { ChatImage } from './types.ts'

export const IMAGE_TYPES = [
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/gif',
]
const MAX_BYTES = 20 * 1024 * 1024

export async function readImages(files: Iterable<File>): Promise<ChatImage[]> {
  const out: ChatImage[] = []
  for (const f of files) {
    if (!IMAGE_TYPES.includes(f.type))
      throw new Error(`${f.name}: not a PNG, JPEG, WebP or GIF image.`)
    if (f.size > MAX_BYTES) throw new Error(`${f.name}: larger than 20 MiB.`)
    const dataUrl = await new Promise<string>((resolve, reject) => {
      const r = new FileReader()
      r.onload = () => resolve(String(r.result))
      r.onerror = () => reject(r.error)
      r.readAsDataURL(f)
    })
    out.push({ name: f.name, dataUrl })
  }
  return out
}
