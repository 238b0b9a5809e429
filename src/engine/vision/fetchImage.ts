// Image bytes from what a chat message carries: a base64 data URI
// (png, jpeg, webp, gif) or an http(s) URL fetched with a size and time limit.
import { InvalidOptionError } from '../errors.ts'

export type FetchImageOptions = {
  /** Largest accepted image, in bytes (default 20 MiB). */
  maxBytes?: number
  /** Time limit for a remote fetch (default 10 s). */
  timeoutMs?: number
  /** Allow http(s) URLs (default true). */
  allowRemote?: boolean
}

export type FetchedImage = { data: Uint8Array; mimeType: string }

const TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/jpg',
  'image/webp',
  'image/gif',
])

export async function fetchImage(
  url: string,
  options: FetchImageOptions = {},
): Promise<FetchedImage> {
  const maxBytes = options.maxBytes ?? 20 * 1024 * 1024
  const data = /^data:([^;,]+)(;base64)?,(.*)$/s.exec(url)
  if (data) {
    const mimeType = (data[1] as string).toLowerCase()
    if (!TYPES.has(mimeType))
      throw new InvalidOptionError(
        'image_url',
        `unsupported image type ${mimeType}`,
      )
    if (!data[2])
      throw new InvalidOptionError(
        'image_url',
        'data URIs must be base64-encoded',
      )
    const body = data[3] as string
    if (body.length * 0.75 > maxBytes)
      throw new InvalidOptionError(
        'image_url',
        `image is larger than ${maxBytes} bytes`,
      )
    return { data: new Uint8Array(Buffer.from(body, 'base64')), mimeType }
  }
  if (!/^https?:\/\//i.test(url))
    throw new InvalidOptionError(
      'image_url',
      'must be a data: URI or an http(s) URL',
    )
  if (options.allowRemote === false)
    throw new InvalidOptionError('image_url', 'remote images are disabled')
  let res: Response
  try {
    res = await fetch(url, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      redirect: 'follow',
    })
  } catch (cause) {
    throw new InvalidOptionError(
      'image_url',
      `could not fetch ${url}: ${(cause as Error).message}`,
    )
  }
  if (!res.ok)
    throw new InvalidOptionError(
      'image_url',
      `fetching ${url} gave HTTP ${res.status}`,
    )
  const declared = Number(res.headers.get('content-length') ?? 0)
  if (declared > maxBytes)
    throw new InvalidOptionError(
      'image_url',
      `image is larger than ${maxBytes} bytes`,
    )
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = res.body?.getReader()
  while (reader) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      throw new InvalidOptionError(
        'image_url',
        `image is larger than ${maxBytes} bytes`,
      )
    }
    chunks.push(value)
  }
  const mimeType = (
    res.headers.get('content-type') ?? 'application/octet-stream'
  )
    .split(';')[0]!
    .trim()
  return { data: new Uint8Array(Buffer.concat(chunks)), mimeType }
}
