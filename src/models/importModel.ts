// `pocket import`: brings a GGUF file or a safetensors directory from
// anywhere into `$POCKET_HOME/models/<publisher>/<name>/` so the catalogue
// lists it. Moves by default (like `lms import`); copy or link on request.
import { cp, link, mkdir, rename, rm, stat, symlink } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { aliasFromName } from './describeName.ts'
import { describeWeights } from './describeWeights.ts'
import { InvalidModelReferenceError } from './errors.ts'
import { getImportsDir } from './paths.ts'

export type ImportMode = 'move' | 'copy' | 'hardlink' | 'symlink'

export type ImportModelParameters = {
  source: string
  /** `publisher/name`; default `imported/<alias of the file name>`. */
  userRepo?: string
  mode?: ImportMode
  dryRun?: boolean
  importsDir?: string
}

export type ImportModelReturnType = {
  key: string
  target: string
  mode: ImportMode
  dryRun: boolean
}

export async function importModel(
  p: ImportModelParameters,
): Promise<ImportModelReturnType> {
  const source = resolve(p.source)
  const info = await stat(source).catch(() => null)
  if (!info)
    throw new InvalidModelReferenceError(`"${p.source}" does not exist.`)
  const weights = await describeWeights(source)
  if (!weights) {
    throw new InvalidModelReferenceError(
      `"${p.source}" is neither a .gguf file nor a directory with config.json and .safetensors.`,
    )
  }
  const key = p.userRepo ?? `imported/${aliasFromName(basename(source))}`
  if (!/^[\w.-]+\/[\w.-]+$/.test(key)) {
    throw new InvalidModelReferenceError(
      `--user-repo must look like <publisher>/<name>, got "${key}".`,
    )
  }
  const dir = join(p.importsDir ?? getImportsDir(), ...key.split('/'))
  const target = info.isDirectory() ? dir : join(dir, basename(source))
  const mode = p.mode ?? 'move'
  if (await stat(target).catch(() => null)) {
    throw new InvalidModelReferenceError(`"${target}" already exists.`)
  }
  if (!p.dryRun) {
    await mkdir(info.isDirectory() ? join(dir, '..') : dir, { recursive: true })
    if (mode === 'copy') await cp(source, target, { recursive: true })
    else if (mode === 'symlink') await symlink(source, target)
    else if (mode === 'hardlink') {
      if (info.isDirectory())
        throw new InvalidModelReferenceError(
          'Directories cannot be hard-linked; use --copy.',
        )
      await link(source, target)
    } else {
      // rename fails across devices: copy, then remove the original.
      await rename(source, target).catch(async () => {
        await cp(source, target, { recursive: true })
        await rm(source, { recursive: true })
      })
    }
  }
  return { key, target, mode, dryRun: !!p.dryRun }
}
