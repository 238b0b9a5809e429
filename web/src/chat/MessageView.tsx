// One chat message: images, folded reasoning, content (JSON pretty-printed
// in structured mode), tool calls as cards, and under a reply its speed.
import { useState } from 'preact/hooks'
import ui from '../ui/ui.module.css'
import styles from './chat.module.css'
import type { ChatMessage, ReplyStats, ToolCall } from './types.ts'

function prettyJson(text: string): string | null {
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return null
  }
}

export function statsLine(s: ReplyStats): string {
  const parts: string[] = []
  if (s.tokensPerSecond !== null)
    parts.push(`${s.tokensPerSecond.toFixed(1)} tok/s`)
  if (s.ttftMs !== null) parts.push(`TTFT ${s.ttftMs} ms`)
  if (s.completionTokens !== null) parts.push(`${s.completionTokens} tokens`)
  if (s.finishReason) parts.push(s.finishReason)
  return parts.join(' · ')
}

function ToolCallCard(props: {
  call: ToolCall
  onResult?: (id: string, content: string) => void
}) {
  const args = prettyJson(props.call.arguments) ?? props.call.arguments
  const [result, setResult] = useState('')
  const field = `tool-result-${props.call.id}`
  return (
    <section
      class={styles.toolCard}
      aria-label={`Tool call ${props.call.name}`}
      data-testid="tool-call"
    >
      <div>
        <strong>⚙ {props.call.name || '…'}</strong>{' '}
        <span class={ui.muted}>{props.call.id}</span>
      </div>
      <pre>{args}</pre>
      {props.onResult && (
        <form
          class={styles.toolResult}
          onSubmit={(e) => {
            e.preventDefault()
            props.onResult?.(props.call.id, result)
          }}
        >
          <label for={field}>Result of {props.call.name}</label>
          <textarea
            id={field}
            rows={2}
            placeholder='{"sky": "sunny", "celsius": 21}'
            value={result}
            onInput={(e) => setResult(e.currentTarget.value)}
            required
          />
          <button type="submit">Send result</button>
        </form>
      )}
    </section>
  )
}

export function MessageView(props: {
  message: ChatMessage
  structured: boolean
  streaming: boolean
  /** Set when this reply's tool calls can be answered. */
  onToolResult?: (callId: string, content: string) => void
}) {
  const m = props.message
  const json =
    props.structured && m.role === 'assistant' && !props.streaming
      ? prettyJson(m.content)
      : null
  const label =
    m.role === 'user'
      ? 'You'
      : m.role === 'tool'
        ? 'Tool result'
        : (m.model ?? 'Assistant')
  return (
    <article
      class={`${styles.message} ${m.role === 'user' ? styles.user : ''}`}
      data-role={m.role}
      aria-label={m.role === 'user' ? 'Your message' : 'Reply'}
    >
      <div class={styles.role}>{label}</div>
      {m.images?.length ? (
        <div class={styles.thumbs}>
          {m.images.map((i) => (
            <img key={i.name} src={i.dataUrl} alt={`Attachment ${i.name}`} />
          ))}
        </div>
      ) : null}
      {m.reasoning ? (
        <details class={styles.reasoning} data-testid="reasoning">
          <summary>Reasoning ({m.reasoning.length} characters)</summary>
          <div class={styles.content}>{m.reasoning}</div>
        </details>
      ) : null}
      {json ? (
        <pre data-testid="structured">{json}</pre>
      ) : (
        <div class={styles.content} data-testid="content">
          {m.content}
          {props.streaming && <span aria-hidden="true">▍</span>}
        </div>
      )}
      {m.toolCalls?.map((c, i) => (
        <ToolCallCard key={c.id || i} call={c} onResult={props.onToolResult} />
      ))}
      {m.error && (
        <div class={ui.error} role="alert">
          {m.error}
        </div>
      )}
      {m.role === 'assistant' && !props.streaming && (m.stats || m.stopped) && (
        <div class={styles.stats} data-testid="reply-stats">
          {m.stopped && <span class={`${ui.badge} ${ui.bad}`}>stopped</span>}{' '}
          {m.stats ? statsLine(m.stats) : ''}
        </div>
      )}
    </article>
  )
}
