// Prints the packages (one per line) that the given root packages need from
// a node_modules folder: dependencies, optional and peer dependencies, as
// far as they are installed. Used by stage.sh to carry only those.
// Usage: node moduleClosure.mjs <node_modules> <package>...
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const [nodeModules, ...roots] = process.argv.slice(2)
const seen = new Set()
function visit(name) {
  const dir = join(nodeModules, name)
  if (seen.has(name) || !existsSync(join(dir, 'package.json'))) return
  seen.add(name)
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const deps = {
    ...pkg.dependencies,
    ...pkg.optionalDependencies,
    ...pkg.peerDependencies,
  }
  for (const d of Object.keys(deps)) visit(d)
}
for (const r of roots) visit(r)
console.log([...seen].sort().join('\n'))
