// `pocket start` (what `npm start` runs): for now a chat with the built-in
// SmolLM2; without a terminal it answers one built-in prompt and exits.
// The marketplace entry point will take this command over.
import type { Command } from 'commander'
import { openModel } from '../openModel.ts'
import { DEFAULT_MODEL } from '../resolveModelPath.ts'
import { runChat } from '../runChat.ts'

const DEMO_PROMPT =
  'In two sentences, why is running a language model locally useful?'

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Start PocketCloudMLX (for now: chat with SmolLM2)')
    .action(async () => {
      const model = await openModel(DEFAULT_MODEL)
      try {
        if (process.stdin.isTTY) {
          await runChat({ model, options: { maxTokens: 512 } })
          return
        }
        console.log(`> ${DEMO_PROMPT}`)
        const stream = model.generate(DEMO_PROMPT, {
          maxTokens: 96,
          temperature: 0,
        })
        for await (const chunk of stream) process.stdout.write(chunk.text)
        process.stdout.write('\n')
      } finally {
        await model.dispose()
      }
    })
}
