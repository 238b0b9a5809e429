// A text-only model given an image answers 400 "does not support images"
// (OpenAI error shape) instead of silently dropping the image.
import OpenAI from 'openai'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startFakeServer } from '../../helpers/fakeServer.ts'

let srv: Awaited<ReturnType<typeof startFakeServer>>
let client: OpenAI
beforeAll(async () => {
  srv = await startFakeServer()
  client = new OpenAI({
    baseURL: `${srv.url}/v1`,
    apiKey: 'unused',
    maxRetries: 0,
  })
})
afterAll(() => srv?.close())

it('rejects an image for a non-vision model with a 400', async () => {
  const pixel =
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='
  const err = await client.chat.completions
    .create({
      model: 'tiny-chat',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            {
              type: 'image_url',
              image_url: { url: `data:image/png;base64,${pixel}` },
            },
          ],
        },
      ],
    })
    .catch((e) => e)
  expect(err.status).toBe(400)
  expect(err.message).toMatch(/does not support images/)
})
