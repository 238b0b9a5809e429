// Runs a prompt on a GGUF model pipeline-sharded over local rank processes
// (MLX ring backend on 127.0.0.1), one per `--members` entry, layers in
// proportion to the memory given to each, and streams the text. Kill a rank
// while it runs (`--kill-after N` does it for you) to watch the coordinator
// re-plan on the rest.
//   node scripts/hive-shard.ts --members mac:16,ipad:8,phone:6 \
//     --prompt "The three primary colors are" --max-tokens 48 [--model x.gguf]
import { parseArgs } from 'node:util'
import { TextTokenizer } from '../src/engine/tokenizer.ts'
import { ShardCluster } from '../src/hive/shardRun.ts'
import { smollm2Path } from '../test/helpers/models.ts'
import { readGgufKv } from '../test/helpers/readGgufKv.ts'

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    members: { type: 'string', default: 'a:1,b:1' },
    prompt: { type: 'string', default: 'The three primary colors are' },
    'max-tokens': { type: 'string', default: '48' },
    temperature: { type: 'string', default: '0' },
    seed: { type: 'string' },
    'kill-after': { type: 'string' },
  },
})
const modelPath = args.model ?? smollm2Path()
const members = (args.members as string).split(',').map((spec) => {
  const [id, gib] = spec.split(':')
  const free = Number(gib ?? 1)
  if (!id || !(free > 0))
    throw new Error(`--members: "${spec}" is not id:GiB (e.g. mac:16)`)
  return { id, freeMemoryBytes: free * 2 ** 30 }
})
const tokenizer = TextTokenizer.fromGguf(readGgufKv(modelPath), modelPath)
const cluster = await ShardCluster.start({ modelPath, members })
const plan = cluster.plan?.ranks ?? []
console.error(
  `plan: ${plan.map((r) => `${r.memberId} [${r.layerStart}, ${r.layerEnd})`).join(', ')}`,
)
const killAfter = args['kill-after'] ? Number(args['kill-after']) : 0
const out: number[] = []
let shown = ''
try {
  for await (const e of cluster.generate({
    tokens: tokenizer.encode(args.prompt as string, { addSpecial: true }),
    maxTokens: Number(args['max-tokens']),
    temperature: Number(args.temperature),
    seed: args.seed === undefined ? undefined : Number(args.seed),
  })) {
    if (e.type === 'token') {
      out.push(e.token)
      const text = tokenizer.decode(out)
      process.stdout.write(text.slice(shown.length))
      shown = text
      if (out.length === killAfter) {
        const victim = plan[Math.floor(plan.length / 2)]?.memberId as string
        console.error(`\n[killing ${victim}'s rank]`)
        process.kill(cluster.pids()[victim] as number, 'SIGKILL')
      }
    } else if (e.type === 'replan') {
      console.error(
        `\n[lost ${e.lost.join(', ')}; re-planned: ${e.plan.ranks.map((r) => `${r.memberId} [${r.layerStart}, ${r.layerEnd})`).join(', ')}]`,
      )
    } else {
      console.error(
        `\n[${out.length} tokens, ${Number(e.stats.tokensPerSecond).toFixed(1)} tok/s, ${e.restarts} restart(s)]`,
      )
    }
  }
} finally {
  await cluster.close()
}
process.exit(0)
