// Fetches one file into the hub cache's blob store with resume: bytes already
// in `<blob>.incomplete` are kept and only the rest is requested (HTTP Range,
// through @huggingface/hub's downloadFile blob). The whole file is hashed and
// checked against the hub's digest before it is renamed into place.
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { rename, rm, stat } from 'node:fs/promises'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { downloadFile } from '@huggingface/hub'
import { ChecksumMismatchError, DownloadError } from '../errors.ts'
import type { HubOptions, PlannedFile } from './planDownload.ts'

export type FetchBlobParameters = HubOptions & {
  repo: string
  commit: string
  file: PlannedFile
  blobPath: string
  /** Called with the bytes of this file on disk so far. */
  onBytes?: (fileBytes: number) => void
  signal?: AbortSignal
}

export async function fetchBlob(p: FetchBlobParameters): Promise<void> {
  const incomplete = `${p.blobPath}.incomplete`
  let offset = (await stat(incomplete).catch(() => null))?.size ?? 0
  if (offset > p.file.size) {
    await rm(incomplete, { force: true })
    offset = 0
  }
  const hash = startHash(p.file)
  if (offset > 0) {
    for await (const chunk of createReadStream(incomplete, { end: offset - 1 }))
      hash.update(chunk)
  }
  p.onBytes?.(offset)
  if (offset < p.file.size) {
    const f = p.fetch ?? fetch
    const blob = await downloadFile({
      repo: p.repo,
      path: p.file.path,
      revision: p.commit,
      hubUrl: p.hubUrl,
      accessToken: p.accessToken,
      fetch: p.signal
        ? (url, init) => f(url, { ...init, signal: p.signal })
        : f,
    }).catch((error) => {
      throw new DownloadError(`Could not download "${p.file.path}".`, {
        cause: error,
      })
    })
    if (!blob)
      throw new DownloadError(`"${p.file.path}" is missing on the hub.`)
    let written = offset
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk)
        written += chunk.length
        p.onBytes?.(written)
        done(null, chunk)
      },
    })
    const body = Readable.fromWeb(
      blob.slice(offset).stream() as import('node:stream/web').ReadableStream,
    )
    await pipeline(body, meter, createWriteStream(incomplete, { flags: 'a' }), {
      signal: p.signal,
    }).catch((error) => {
      throw new DownloadError(`Download of "${p.file.path}" was interrupted.`, {
        cause: error,
      })
    })
    if (written !== p.file.size) {
      throw new DownloadError(
        `Download of "${p.file.path}" stopped at ${written} of ${p.file.size} bytes; run again to resume.`,
      )
    }
  }
  const actual = hash.digest('hex')
  if (actual !== p.file.checksum.value) {
    await rm(incomplete, { force: true })
    throw new ChecksumMismatchError(p.file.path, p.file.checksum.value, actual)
  }
  await rename(incomplete, p.blobPath)
}

/** sha256 for LFS files; git's `blob <size>\0` sha1 for small git files. */
function startHash(file: PlannedFile) {
  if (file.checksum.kind === 'sha256') return createHash('sha256')
  return createHash('sha1').update(`blob ${file.size}\0`)
}
