// SmolLM2-135M-Instruct (real weights) calling a tool: grammar-constrained
// calls in SmolLM2's <tool_call>[...]</tool_call> format, run by act() with a
// guard, the result fed back as a `tool` message; and respond() with zod.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { z } from 'zod'
import { loadModel, type Model } from '../../../src/engine/index.ts'
import { act } from '../../../src/engine/structured/act.ts'
import { respond } from '../../../src/engine/structured/respond.ts'
import { toGenerateGrammar } from '../../../src/engine/structured/toGenerateGrammar.ts'
import { ToolCallParser } from '../../../src/engine/structured/toolCallParser.ts'
import { smollm2Path } from '../../helpers/models.ts'

let model: Model
beforeAll(async () => {
  model = await loadModel(smollm2Path())
})
afterAll(async () => {
  await model?.dispose()
})

const weatherArgs = z.object({ city: z.string().max(40) })

describe('SmolLM2 tool calling', () => {
  test('act(): calls the tool, the guard sees it, the result round-trips, the model answers', async () => {
    const seen: string[] = []
    const ran: unknown[] = []
    const rounds: number[] = []
    const result = await act(
      model,
      [{ role: 'user', content: 'What is the weather in Paris?' }],
      [
        {
          name: 'get_weather',
          description: 'Current weather for a city',
          parameters: weatherArgs,
          implementation: (args: z.infer<typeof weatherArgs>) => {
            ran.push(args)
            return { city: args.city, sky: 'sunny', celsius: 21 }
          },
        },
      ],
      {
        toolChoice: 'required',
        maxRounds: 3,
        temperature: 0,
        maxTokens: 80,
        guard: (call) => {
          seen.push(call.name)
          return true
        },
        onRoundStart: (i) => rounds.push(i),
      },
    )
    const first = result.rounds[0]
    expect(first?.toolCalls.length).toBeGreaterThanOrEqual(1)
    expect(first?.toolCalls[0]?.name).toBe('get_weather')
    expect(
      weatherArgs.safeParse(JSON.parse(first?.toolCalls[0]?.arguments ?? ''))
        .success,
    ).toBe(true)
    expect(first?.content).not.toContain('<tool_call>')
    expect(seen[0]).toBe('get_weather')
    expect(ran.length).toBe(seen.length)
    const toolMessage = result.messages.find((m) => m.role === 'tool')
    expect(toolMessage?.tool_call_id).toBe(first?.toolCalls[0]?.id)
    expect(JSON.parse(String(toolMessage?.content))).toMatchObject({
      sky: 'sunny',
    })
    expect(rounds[0]).toBe(0)
    expect(result.rounds.length).toBeGreaterThanOrEqual(2)
  })

  test('a guard that refuses stops the tool from running', async () => {
    let ran = 0
    const result = await act(
      model,
      'Weather in Rome?',
      [
        {
          name: 'get_weather',
          parameters: weatherArgs,
          implementation: () => ran++,
        },
      ],
      {
        toolChoice: 'required',
        maxRounds: 1,
        temperature: 0,
        maxTokens: 60,
        guard: () => false,
      },
    )
    expect(ran).toBe(0)
    expect(result.stopReason).toBe('maxRounds')
    expect(
      String(result.messages.find((m) => m.role === 'tool')?.content),
    ).toMatch(/not allowed/)
  })

  test('server path: toGenerateGrammar + generate + parser yields OpenAI tool_calls', async () => {
    const plan = toGenerateGrammar(
      {
        messages: [{ role: 'user', content: 'Weather in Oslo?' }],
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              parameters: z.toJSONSchema(weatherArgs) as never,
            },
          },
        ],
        tool_choice: 'required',
      },
      {
        templateSource: model.template.source,
        architecture: model.info.architecture,
      },
    )
    expect(plan.toolCallFormat).toBe('smollm2')
    const stream = model.generate(plan.messages, {
      temperature: 0,
      maxTokens: 80,
      templateContext: plan.templateContext,
      grammar: plan.grammar,
    } as never)
    const parser = new ToolCallParser(plan.toolCallFormat ?? 'generic')
    let content = ''
    for await (const chunk of stream)
      for (const e of parser.push(chunk.text))
        if (e.type === 'content') content += e.text
    for (const e of parser.flush()) if (e.type === 'content') content += e.text
    expect((await stream.result).stopReason).toBe('eos')
    expect(content).toBe('')
    expect(parser.calls[0]?.name).toBe('get_weather')
    expect(parser.calls[0]?.id).toMatch(/^call_/)
  })

  test('respond(): a zod schema gives a parsed, typed object', async () => {
    const Person = z.object({
      name: z.string().max(20),
      age: z.number().int().min(0).max(120),
    })
    const { parsed } = await respond(model, 'Invent a person. Reply in JSON.', {
      structured: Person,
      temperature: 0,
      maxTokens: 60,
    })
    expect(Person.safeParse(parsed).success).toBe(true)
    expect(typeof parsed.name).toBe('string')
  })
})
