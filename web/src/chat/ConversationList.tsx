// The saved conversations (IndexedDB): open, start new, delete, export.
import styles from './chat.module.css'
import type { Conversation } from './types.ts'

export function ConversationList(props: {
  conversations: Conversation[]
  current: string | null
  onOpen: (id: string) => void
  onNew: () => void
  onDelete: (id: string) => void
  onExport: () => void
}) {
  return (
    <nav class={styles.sidebar} aria-label="Conversations">
      <div class="row">
        <button type="button" class="primary" onClick={props.onNew}>
          New chat
        </button>{' '}
        <button
          type="button"
          onClick={props.onExport}
          disabled={!props.current}
          aria-label="Export this conversation as JSON"
        >
          Export
        </button>
      </div>
      <ul class={styles.conversations}>
        {props.conversations.map((c) => (
          <li key={c.id} class={styles.conversation}>
            <button
              type="button"
              aria-current={c.id === props.current ? 'true' : 'false'}
              onClick={() => props.onOpen(c.id)}
              title={c.title}
            >
              {c.title}
            </button>
            <button
              type="button"
              aria-label={`Delete conversation ${c.title}`}
              onClick={() => props.onDelete(c.id)}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
    </nav>
  )
}
