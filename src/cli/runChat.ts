// The multi-turn chat loop behind `pocket chat`. On a
// terminal it prompts and streams; with piped stdin it answers each line,
// so `printf 'hi\nbye\n' | pocket chat` works in scripts and tests. A
// reasoning model's thinking is shown dimmed on a terminal and goes to
// stderr when piped (stdout carries only the answers); the history keeps it
// apart from the answer, as the chat template expects.
import { createInterface } from 'node:readline'
import type { Model } from '../engine/model.ts'
import { ChatOutputParser } from '../engine/reasoning/chatOutputParser.ts'
import { planChatOutput } from '../engine/reasoning/planChatOutput.ts'
import type { ChatMessage, GenerateOptions } from '../engine/types.ts'
import { formatStats } from './formatStats.ts'

export type RunChatParameters = {
  model: Model
  system?: string
  options?: GenerateOptions
  stats?: boolean
}

const HELP = 'Type a message. /reset clears the conversation, /exit quits.'

export async function runChat(params: RunChatParameters): Promise<void> {
  const { model, system, options = {}, stats } = params
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY)
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: interactive,
  })
  const start = (): ChatMessage[] =>
    system ? [{ role: 'system', content: system }] : []
  let history = start()
  let current: AbortController | undefined
  // Ctrl-C stops the answer being written; at the prompt it quits.
  rl.on('SIGINT', () => (current ? current.abort() : rl.close()))
  if (interactive) {
    console.log(`${model.info.architecture} · ${model.info.path}\n${HELP}`)
    rl.setPrompt('> ')
    rl.prompt()
  }
  for await (const raw of rl) {
    const line = raw.trim()
    if (line === '/exit' || line === '/quit') break
    if (line === '/reset') {
      history = start()
      if (interactive) console.log('(conversation cleared)')
    } else if (line === '/help') {
      console.log(HELP)
    } else if (line !== '') {
      history.push({ role: 'user', content: line })
      current = new AbortController()
      const plan = planChatOutput({
        templateSource: model.template.source,
        renderPrompt: () =>
          model.applyChatTemplate(history, { extra: options.templateContext }),
      })
      const parser = new ChatOutputParser(plan)
      const stream = model.generate(history, {
        ...options,
        ...(plan.keepSpecialTokens
          ? {
              keepSpecialTokens: plan.keepSpecialTokens,
              stopTokens: plan.stopTokens,
            }
          : {}),
        signal: current.signal,
      })
      let answer = ''
      let reasoning = ''
      const show = (events: ReturnType<ChatOutputParser['push']>) => {
        for (const e of events) {
          if (e.type === 'content') {
            answer += e.text
            process.stdout.write(e.text)
          } else if (e.type === 'reasoning') {
            reasoning += e.text
            if (interactive) process.stdout.write(`\x1b[2m${e.text}\x1b[22m`)
            else process.stderr.write(e.text)
          }
        }
      }
      for await (const chunk of stream) show(parser.push(chunk.text))
      show(parser.flush())
      if (reasoning && !interactive) process.stderr.write('\n')
      process.stdout.write('\n')
      const result = await stream.result
      current = undefined
      history.push({
        role: 'assistant',
        content: answer,
        ...(reasoning ? { reasoning_content: reasoning } : {}),
      })
      if (stats) process.stderr.write(`${formatStats(result)}\n`)
    }
    if (interactive) rl.prompt()
  }
  rl.close()
}
