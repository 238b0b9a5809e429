// Downloads a hub model into the standard HF cache layout
// (`models--o--n/{blobs,snapshots/<commit>,refs/main}`) so files fetched by
// other tools are reused and ours are usable by them. Resumable, verified,
// with progress; offline mode answers from the cache only.
import { mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { quantizationFromName } from '../describeName.ts'
import { describeWeights } from '../describeWeights.ts'
import { OfflineError } from '../errors.ts'
import { getHubCacheDir, getHubToken, getHubUrl, isOffline } from '../paths.ts'
import { findWeights } from '../scanHubCache.ts'
import { fetchBlob } from './fetchBlob.ts'
import {
  type DownloadPlan,
  type HubOptions,
  planDownload,
} from './planDownload.ts'

export type DownloadProgress = {
  file: string
  downloadedBytes: number
  totalBytes: number
}

export type DownloadModelParameters = HubOptions & {
  repo: string
  quantization?: string | null
  cacheDir?: string
  offline?: boolean
  onPlan?: (plan: DownloadPlan) => void
  onProgress?: (progress: DownloadProgress) => void
  signal?: AbortSignal
}

export type DownloadModelReturnType = {
  repo: string
  commit: string
  snapshotDir: string
  /** The weights path (GGUF file or snapshot dir) to hand to the engine. */
  paths: string[]
  downloadedBytes: number
  totalBytes: number
  alreadyDownloaded: boolean
}

export async function downloadModel(
  p: DownloadModelParameters,
): Promise<DownloadModelReturnType> {
  const cacheDir = p.cacheDir ?? getHubCacheDir()
  const repoDir = join(cacheDir, `models--${p.repo.split('/').join('--')}`)
  const revision = p.revision ?? 'main'
  if (p.offline ?? isOffline()) return fromCache(p, repoDir, revision)
  const plan = await planDownload(p.repo, p.quantization ?? null, {
    hubUrl: p.hubUrl ?? getHubUrl(),
    accessToken: p.accessToken ?? getHubToken(),
    revision,
    fetch: p.fetch,
  })
  p.onPlan?.(plan)
  const snapshotDir = join(repoDir, 'snapshots', plan.commit)
  let done = 0
  let fetched = 0
  for (const file of plan.files) {
    const pointer = join(snapshotDir, file.path)
    const blobPath = join(repoDir, 'blobs', file.etag)
    if (!(await stat(pointer).catch(() => null))) {
      await mkdir(dirname(blobPath), { recursive: true })
      await mkdir(dirname(pointer), { recursive: true })
      if (!(await stat(blobPath).catch(() => null))) {
        await fetchBlob({
          ...plan,
          hubUrl: p.hubUrl ?? getHubUrl(),
          accessToken: p.accessToken ?? getHubToken(),
          fetch: p.fetch,
          file,
          blobPath,
          signal: p.signal,
          onBytes: (n) =>
            p.onProgress?.({
              file: file.path,
              downloadedBytes: done + n,
              totalBytes: plan.totalBytes,
            }),
        })
        fetched += file.size
      }
      await rm(pointer, { force: true })
      await symlink(relative(dirname(pointer), blobPath), pointer)
    }
    done += file.size
    p.onProgress?.({
      file: file.path,
      downloadedBytes: done,
      totalBytes: plan.totalBytes,
    })
  }
  if (revision !== plan.commit) {
    await mkdir(join(repoDir, 'refs'), { recursive: true })
    await writeFile(join(repoDir, 'refs', revision), plan.commit)
  }
  return {
    repo: p.repo,
    commit: plan.commit,
    snapshotDir,
    paths: await weightsIn(snapshotDir, p.quantization ?? null),
    downloadedBytes: fetched,
    totalBytes: plan.totalBytes,
    alreadyDownloaded: fetched === 0,
  }
}

async function fromCache(
  p: DownloadModelParameters,
  repoDir: string,
  revision: string,
) {
  const commit = (
    await readFile(join(repoDir, 'refs', revision), 'utf8').catch(
      () => revision,
    )
  ).trim()
  const snapshotDir = join(repoDir, 'snapshots', commit)
  const paths = await weightsIn(snapshotDir, p.quantization ?? null)
  if (paths.length === 0) {
    const what = p.quantization ? `${p.repo}@${p.quantization}` : p.repo
    throw new OfflineError(
      `Offline mode is on and "${what}" is not in the cache at ${repoDir}.`,
    )
  }
  let totalBytes = 0
  for (const path of paths)
    totalBytes += (await describeWeights(path))?.sizeBytes ?? 0
  return {
    repo: p.repo,
    commit,
    snapshotDir,
    paths,
    downloadedBytes: 0,
    totalBytes,
    alreadyDownloaded: true,
  }
}

async function weightsIn(snapshotDir: string, quantization: string | null) {
  const all = await findWeights(snapshotDir)
  if (!quantization) return all
  return all.filter(
    (w) =>
      !w.endsWith('.gguf') ||
      quantizationFromName(w.split('/').pop() ?? '')?.toLowerCase() ===
        quantization,
  )
}
