// Lists the models already present in the standard Hugging Face hub cache
// (`models--<owner>--<name>/snapshots/<rev>/...`), whoever downloaded them:
// us, huggingface-cli, or the registry-package install step.
import { readdir, readFile, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { aliasFromName } from './describeName.ts'
import { describeWeights } from './describeWeights.ts'
import type { LocalModel } from './types.ts'

export async function scanHubCache(cacheDir: string): Promise<LocalModel[]> {
  const entries = await readdir(cacheDir).catch(() => [] as string[])
  const models: LocalModel[] = []
  for (const entry of entries.filter((e) => e.startsWith('models--')).sort()) {
    const [publisher, ...rest] = entry.slice('models--'.length).split('--')
    if (!publisher || rest.length === 0) continue
    const repoDir = join(cacheDir, entry)
    const snapshot = await currentSnapshot(repoDir)
    if (!snapshot) continue
    const name = rest.join('--')
    const found = await findWeights(snapshot)
    for (const path of found) {
      const d = await describeWeights(path)
      if (!d) continue
      models.push({
        key: `${publisher}/${name}`,
        publisher,
        name,
        alias: aliasFromName(name),
        variant:
          d.format === 'gguf' ? (d.quantization?.toLowerCase() ?? null) : null,
        path,
        ...d,
        source: 'hub',
      })
    }
  }
  return models
}

/** The snapshot `refs/main` points at, else the most recent one. */
export async function currentSnapshot(repoDir: string): Promise<string | null> {
  const ref = await readFile(join(repoDir, 'refs', 'main'), 'utf8').catch(
    () => null,
  )
  if (ref?.trim()) {
    const dir = join(repoDir, 'snapshots', ref.trim())
    if (await stat(dir).catch(() => null)) return dir
  }
  const snaps = await readdir(join(repoDir, 'snapshots')).catch(
    () => [] as string[],
  )
  let best: { dir: string; mtime: number } | null = null
  for (const s of snaps) {
    const dir = join(repoDir, 'snapshots', s)
    const info = await stat(dir).catch(() => null)
    if (info?.isDirectory() && (!best || info.mtimeMs > best.mtime)) {
      best = { dir, mtime: info.mtimeMs }
    }
  }
  return best?.dir ?? null
}

/** GGUF files (first shard only, no vision projectors) and weight dirs. */
export async function findWeights(root: string, depth = 2): Promise<string[]> {
  const out: string[] = []
  const walk = async (dir: string, level: number) => {
    const names = await readdir(dir).catch(() => [] as string[])
    if (
      names.includes('config.json') &&
      names.some((n) => n.endsWith('.safetensors'))
    ) {
      out.push(dir)
    }
    for (const n of names.sort()) {
      const p = join(dir, n)
      if (/\.gguf$/i.test(n)) {
        if (/^mmproj/i.test(n) || /-0000[2-9]-of-\d+\.gguf$/i.test(n)) continue
        out.push(p)
      } else if (level < depth && !n.startsWith('.')) {
        const info = await stat(p).catch(() => null)
        if (info?.isDirectory()) await walk(p, level + 1)
      }
    }
  }
  await walk(root, 0)
  return out.sort((a, b) => relative(root, a).localeCompare(relative(root, b)))
}
