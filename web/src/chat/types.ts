// The chat's data: conversations as kept in IndexedDB, their messages and
// the generation settings each conversation remembers.
export type ChatImage = { name: string; dataUrl: string }

export type ToolCall = { id: string; name: string; arguments: string }

export type ReplyStats = {
  /** Milliseconds from sending to the first streamed token. */
  ttftMs: number | null
  /** Generated tokens per second after the first token. */
  tokensPerSecond: number | null
  completionTokens: number | null
  promptTokens: number | null
  finishReason: string | null
}

export type ChatMessage = {
  id: string
  role: 'user' | 'assistant' | 'tool'
  content: string
  reasoning?: string
  images?: ChatImage[]
  toolCalls?: ToolCall[]
  /** A tool message answers this call. */
  toolCallId?: string
  model?: string
  stats?: ReplyStats
  /** The user pressed stop before the reply ended. */
  stopped?: boolean
  /** The API's error message when the request failed. */
  error?: string
}

export type ChatSettings = {
  model: string
  systemPrompt: string
  temperature: number
  topP: number
  maxTokens: number
  /** Empty: a fresh random seed per request. */
  seed: string
  /** Structured output: constrain the reply to `schema`. */
  structured: boolean
  schema: string
  /** Function tools the model may call (an OpenAI `tools` array, as JSON). */
  toolsEnabled: boolean
  tools: string
  /** `auto` lets the model choose; `required` makes it call a tool. */
  toolChoice: 'auto' | 'required'
}

export type Conversation = {
  id: string
  title: string
  createdAt: number
  updatedAt: number
  settings: ChatSettings
  messages: ChatMessage[]
}

export const DEFAULT_SCHEMA = `{
  "type": "object",
  "properties": {
    "name": { "type": "string", "maxLength": 20 },
    "age": { "type": "integer", "minimum": 0, "maximum": 120 }
  },
  "required": ["name", "age"],
  "additionalProperties": false
}`

export const DEFAULT_TOOLS = `[
  {
    "type": "function",
    "function": {
      "name": "get_weather",
      "description": "Current weather in a city",
      "parameters": {
        "type": "object",
        "properties": { "city": { "type": "string" } },
        "required": ["city"]
      }
    }
  }
]`

export const defaultSettings = (model = ''): ChatSettings => ({
  model,
  systemPrompt: '',
  temperature: 0.7,
  topP: 1,
  maxTokens: 512,
  seed: '',
  structured: false,
  schema: DEFAULT_SCHEMA,
  toolsEnabled: false,
  tools: DEFAULT_TOOLS,
  toolChoice: 'auto',
})

export const newId = (): string =>
  crypto.randomUUID?.() ??
  `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
