// Asks the hub (through @huggingface/hub) which commit `main` is and which
// files a model needs: for GGUF repos the one quantization asked for (all
// shards), otherwise the safetensors weights and their configs/tokenizer.
import { listFiles, modelInfo } from '@huggingface/hub'
import { quantizationFromName } from '../describeName.ts'
import { DownloadError, ModelNotFoundError } from '../errors.ts'

export type HubOptions = {
  hubUrl?: string
  accessToken?: string
  revision?: string
  fetch?: typeof fetch
}

export type PlannedFile = {
  path: string
  size: number
  /** Blob name in the cache: LFS sha256 or git blob sha1. */
  etag: string
  /** How to verify: sha256 of the content, or git's blob sha1. */
  checksum: { kind: 'sha256' | 'git-sha1'; value: string }
}

export type DownloadPlan = {
  repo: string
  revision: string
  commit: string
  files: PlannedFile[]
  totalBytes: number
}

type TreeEntry = {
  type: string
  path: string
  size: number
  oid: string
  lfs?: { oid: string; size: number }
}

const SKIP =
  /(^|\/)(onnx|openvino|coreml|original)\/|\.(bin|pt|pth|h5|msgpack|ot|onnx|tflite|mlmodel)$|^\.gitattributes$/i

export async function planDownload(
  repo: string,
  quantization: string | null,
  options: HubOptions = {},
): Promise<DownloadPlan> {
  const revision = options.revision ?? 'main'
  const hub = {
    hubUrl: options.hubUrl,
    accessToken: options.accessToken,
    fetch: options.fetch,
  }
  let commit: string
  try {
    const info = await modelInfo({
      name: repo,
      revision,
      additionalFields: ['sha'],
      ...hub,
    })
    commit = (info as { sha?: string }).sha ?? revision
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode
    if (status === 404 || status === 401)
      throw new ModelNotFoundError(repo, { cause: error })
    throw new DownloadError(`Could not reach the hub for "${repo}".`, {
      cause: error,
    })
  }
  const entries: TreeEntry[] = []
  for await (const e of listFiles({
    repo,
    revision: commit,
    recursive: true,
    ...hub,
  })) {
    if (e.type === 'file') entries.push(e as TreeEntry)
  }
  const files = selectFiles(entries, quantization, repo).map((e) => ({
    path: e.path,
    size: e.lfs?.size ?? e.size,
    etag: e.lfs?.oid ?? e.oid,
    checksum: e.lfs
      ? { kind: 'sha256' as const, value: e.lfs.oid }
      : { kind: 'git-sha1' as const, value: e.oid },
  }))
  return {
    repo,
    revision,
    commit,
    files,
    totalBytes: files.reduce((s, f) => s + f.size, 0),
  }
}

function selectFiles(
  entries: TreeEntry[],
  quantization: string | null,
  repo: string,
) {
  const ggufs = entries.filter(
    (e) => /\.gguf$/i.test(e.path) && !/(^|\/)mmproj/i.test(e.path),
  )
  if (ggufs.length > 0) {
    const quants = [
      ...new Set(
        ggufs.map((e) => quantizationFromName(e.path.split('/').pop() ?? '')),
      ),
    ]
    const wanted =
      quantization ??
      ['q4_k_m', 'q4_1', 'q4_0', 'q8_0'].find((q) =>
        quants.some((x) => x?.toLowerCase() === q),
      ) ??
      quants[0]?.toLowerCase()
    const picked = ggufs.filter(
      (e) =>
        quantizationFromName(e.path.split('/').pop() ?? '')?.toLowerCase() ===
        wanted,
    )
    if (picked.length === 0) {
      throw new ModelNotFoundError(`${repo}@${quantization}`, {
        details: `Available quantizations: ${quants.filter(Boolean).join(', ')}`,
      })
    }
    return picked
  }
  const hasSafetensors = entries.some((e) => e.path.endsWith('.safetensors'))
  if (!hasSafetensors) {
    throw new ModelNotFoundError(repo, {
      details: 'The repository has no GGUF or safetensors weights.',
    })
  }
  return entries.filter((e) => !SKIP.test(e.path))
}
