// Where `pocket index` keeps its store unless told otherwise.
import { join } from 'node:path'
import { getPocketHome } from '../models/paths.ts'

export function defaultIndexPath(env = process.env): string {
  return env.POCKET_INDEX ?? join(getPocketHome(env), 'index', 'default.sqlite')
}
