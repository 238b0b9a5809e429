// The honest task mix the cross-backend audit is calibrated and measured on
// (issue 14): chat prompts on many topics, greedy and sampled (temperature
// 0.7–1.0, some with top-p 0.95), 64–256 output tokens, per-task seeds. Task
// `i` is the same on every machine, so a node and an auditor on different
// devices agree on what was asked. Used by bench/audit/ and the audit tests.
import {
  decodeSampling,
  encodeInput,
  encodeSampling,
  hashBytes,
  type PostedTask,
} from '../../src/receipts/index.ts'
import { seededRandom } from './ggufTensorData.ts'

const TOPICS = [
  'the history of sailing ships',
  'how a compiler works',
  'a fox in a winter forest',
  'photosynthesis',
  'the French revolution',
  'how to bake sourdough bread',
  'black holes',
  'the rules of chess',
  'a robot learning to paint',
  'volcanoes',
  'the water cycle',
  'why the sky is blue',
  'a detective in Victorian London',
  'how vaccines work',
  'the Roman empire',
  'training for a marathon',
  'honeybees',
  'the internet',
  'a lighthouse keeper',
  'plate tectonics',
  'coffee',
  'jazz music',
  'the moon landing',
  'how batteries store energy',
  'a dragon who hoards books',
  'recycling plastic',
  'the human heart',
  'origami',
  'a city under the sea',
  'the printing press',
  'electric cars',
  'whales',
  'a time traveller',
  'climate and weather',
  'learning a new language',
  'pyramids of Egypt',
  'rainforests',
  'a cat who runs a bakery',
  'prime numbers',
  'earthquakes',
  'the Olympic games',
  'bicycles',
  'a haunted library',
  'the immune system',
  'solar panels',
  'Antarctica',
  'the Silk Road',
  'a friendly ghost',
  'octopuses',
  'how airplanes fly',
  'medieval castles',
  'gardening tomatoes',
  'the stock market',
  'a space station',
  'dinosaurs',
  'bridges',
  'a knight and a snail',
  'tea',
  'mountains',
  'a lost city of gold',
]
const ASKS = [
  (t: string) => `Write a short essay about ${t}.`,
  (t: string) => `Explain ${t} to a ten-year-old.`,
  (t: string) => `Tell a story about ${t}.`,
  (t: string) =>
    `List five interesting facts about ${t}, with a sentence each.`,
  (t: string) => `Write a poem about ${t}.`,
]

export type TaskSpec = {
  index: number
  task: PostedTask
  temperature: number
  maxTokens: number
}

/** Honest task `index` (deterministic). */
export function taskSpec(index: number): TaskSpec {
  const rand = seededRandom(0x5eed + index * 7919)
  const topic = TOPICS[index % TOPICS.length] as string
  const ask = ASKS[Math.floor(rand() * ASKS.length)] as (t: string) => string
  const input = encodeInput({
    messages: [{ role: 'user', content: ask(topic) }],
  })
  // 40% greedy, else one of 0.7/0.8/0.9/1.0; a quarter of sampled use top-p.
  const greedy = rand() < 0.4
  const temperature = greedy
    ? 0
    : ([0.7, 0.8, 0.9, 1.0][Math.floor(rand() * 4)] as number)
  const topP = !greedy && rand() < 0.25 ? 0.95 : 1
  const maxTokens = 64 + Math.floor(rand() * 193)
  const samplingParams = encodeSampling({ temperature, topP, maxTokens })
  return {
    index,
    temperature,
    maxTokens,
    task: {
      taskId: BigInt(index + 1),
      modelDigest: `0x${'11'.repeat(32)}`,
      inputHash: hashBytes(input),
      input,
      samplingParams,
      seed: BigInt(1_000_003 * (index + 1)),
    },
  }
}

/** The task with only its temperature changed (the temperature cheat). */
export function withTemperature(
  task: PostedTask,
  temperature: number,
): PostedTask {
  const s = decodeSampling(task.samplingParams)
  return { ...task, samplingParams: encodeSampling({ ...s, temperature }) }
}
