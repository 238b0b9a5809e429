// The built-in prompts the requester posts in `pocket start`; `--tasks N`
// takes the first N (cycling when N is larger).
export type DemoPrompt = { prompt: string; temperature: number }

export const demoPrompts: readonly DemoPrompt[] = [
  { prompt: 'What is the capital of France?', temperature: 0 },
  { prompt: 'Name three primary colors.', temperature: 0 },
  { prompt: 'Write one sentence about the ocean.', temperature: 0.7 },
  { prompt: 'Why is the sky blue? Answer briefly.', temperature: 0 },
  { prompt: 'Give me a fun fact about cats.', temperature: 0.7 },
]

export function pickDemoPrompts(count: number): DemoPrompt[] {
  return Array.from(
    { length: count },
    (_, i) => demoPrompts[i % demoPrompts.length] as DemoPrompt,
  )
}
