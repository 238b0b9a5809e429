// `pocket import <file>`: adds a local GGUF file or safetensors folder to the
// catalogue (moved by default, like `lms import`; or copied / linked).
import type { Command } from 'commander'
import { type ImportMode, importModel } from '../../models/importModel.ts'
import { UsageError } from '../errors.ts'

type ImportFlags = {
  userRepo?: string
  copy?: boolean
  hardLink?: boolean
  symbolicLink?: boolean
  dryRun?: boolean
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('Import a local .gguf file or safetensors folder')
    .argument('<path>', 'file or folder to import')
    .option('--user-repo <publisher/name>', 'catalogue key to file it under')
    .option('-c, --copy', 'copy instead of moving')
    .option('-L, --hard-link', 'hard-link instead of moving')
    .option('-l, --symbolic-link', 'symlink instead of moving')
    .option('--dry-run', 'show what would happen')
    .option('-y, --yes', 'no confirmation (kept for lms compatibility)')
    .action(async (path: string, flags: ImportFlags) => {
      const modes = [
        flags.copy && 'copy',
        flags.hardLink && 'hardlink',
        flags.symbolicLink && 'symlink',
      ].filter(Boolean)
      if (modes.length > 1)
        throw new UsageError(
          'Choose one of --copy, --hard-link, --symbolic-link.',
        )
      const r = await importModel({
        source: path,
        userRepo: flags.userRepo,
        mode: (modes[0] || 'move') as ImportMode,
        dryRun: flags.dryRun,
      })
      const verb = {
        move: 'Moved',
        copy: 'Copied',
        hardlink: 'Hard-linked',
        symlink: 'Linked',
      }[r.mode]
      console.log(`${r.dryRun ? '(dry run) ' : ''}${verb} to ${r.target}`)
      console.log(`  model key: ${r.key}`)
    })
}
