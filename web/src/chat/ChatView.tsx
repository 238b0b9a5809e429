// The Chat view: model picker (downloaded and loaded models), streamed
// replies with Stop, settings, images for vision models, tool calls,
// structured output; conversations saved in IndexedDB and exportable.
import { useEffect, useRef, useState } from 'preact/hooks'
import { messageOf } from '../api/ApiError.ts'
import { listModelsV0, type V0Model } from '../api/models.ts'
import { ErrorBanner } from '../ui/ErrorBanner.tsx'
import ui from '../ui/ui.module.css'
import { replyMessage } from './accumulateReply.ts'
import { buildChatRequest } from './buildRequest.ts'
import { Composer } from './Composer.tsx'
import { ConversationList } from './ConversationList.tsx'
import styles from './chat.module.css'
import {
  ConversationStore,
  exportConversation,
  titleOf,
} from './conversationStore.ts'
import { MessageView } from './MessageView.tsx'
import { SettingsPanel } from './SettingsPanel.tsx'
import { streamChat } from './streamChat.ts'
import {
  type ChatImage,
  type ChatMessage,
  type Conversation,
  defaultSettings,
  newId,
} from './types.ts'

const store = new ConversationStore()

const blank = (model: string): Conversation => ({
  id: newId(),
  title: 'New chat',
  createdAt: Date.now(),
  updatedAt: Date.now(),
  settings: defaultSettings(model),
  messages: [],
})

function download(name: string, text: string) {
  const url = URL.createObjectURL(
    new Blob([text], { type: 'application/json' }),
  )
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

export function ChatView() {
  const [models, setModels] = useState<V0Model[]>([])
  const [modelsError, setModelsError] = useState<unknown>(null)
  const [list, setList] = useState<Conversation[]>([])
  const [conv, setConv] = useState<Conversation>(blank(''))
  const [streamingId, setStreamingId] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const abortRef = useRef<AbortController | null>(null)

  const refreshModels = async () => {
    try {
      const all = (await listModelsV0()).filter((m) => m.type !== 'embeddings')
      setModels(all)
      setModelsError(null)
      setConv((c) =>
        c.settings.model || !all[0]
          ? c
          : {
              ...c,
              settings: {
                ...c.settings,
                model: (all.find((m) => m.state === 'loaded') ?? all[0]).id,
              },
            },
      )
    } catch (e) {
      setModelsError(e)
    }
  }
  useEffect(() => {
    void refreshModels()
    store
      .list()
      .then(setList)
      .catch((e) => setError(e))
    return () => abortRef.current?.abort()
  }, [])

  const model = models.find((m) => m.id === conv.settings.model)
  const vision = model?.type === 'vlm'
  const save = async (c: Conversation) => {
    if (!c.messages.length) return
    await store.put(c)
    setList(await store.list())
  }

  const send = (text: string, images: ChatImage[]) =>
    generate([
      ...conv.messages,
      {
        id: newId(),
        role: 'user',
        content: text,
        ...(images.length ? { images } : {}),
      },
    ])

  /** Answers a tool call with its result and lets the model continue. */
  const sendToolResult = (callId: string, content: string) =>
    generate([
      ...conv.messages,
      { id: newId(), role: 'tool', content, toolCallId: callId },
    ])

  const generate = async (history: ChatMessage[]) => {
    setError(null)
    let body: Record<string, unknown>
    try {
      body = buildChatRequest(conv.settings, history)
    } catch (e) {
      setError(e)
      return
    }
    const base: ChatMessage = {
      id: newId(),
      role: 'assistant',
      content: '',
      model: conv.settings.model,
    }
    let current: Conversation = {
      ...conv,
      messages: [...history, base],
      updatedAt: Date.now(),
    }
    current.title = titleOf(current)
    setConv(current)
    setStreamingId(base.id)
    const controller = new AbortController()
    abortRef.current = controller
    const update = (m: ChatMessage) => {
      current = { ...current, messages: [...history, m] }
      setConv(current)
    }
    try {
      const { state, stopped } = await streamChat({
        body,
        signal: controller.signal,
        onUpdate: (s) => update(replyMessage(base, s)),
      })
      update({ ...replyMessage(base, state), ...(stopped ? { stopped } : {}) })
    } catch (e) {
      const partial = (e as { partial?: Parameters<typeof replyMessage>[1] })
        .partial
      update({
        ...(partial ? replyMessage(base, partial) : base),
        error: messageOf(e),
      })
    } finally {
      setStreamingId(null)
      abortRef.current = null
      void refreshModels()
      await save(current).catch((e) => setError(e))
    }
  }

  return (
    <div class={styles.layout}>
      <ConversationList
        conversations={list}
        current={list.some((c) => c.id === conv.id) ? conv.id : null}
        onNew={() => {
          abortRef.current?.abort()
          setConv(blank(conv.settings.model))
        }}
        onOpen={async (id) => {
          abortRef.current?.abort()
          const c = await store.get(id)
          if (c) setConv(c)
        }}
        onDelete={async (id) => {
          await store.remove(id)
          setList(await store.list())
          if (id === conv.id) setConv(blank(conv.settings.model))
        }}
        onExport={() =>
          download(`chat-${conv.id.slice(0, 8)}.json`, exportConversation(conv))
        }
      />
      <section class={styles.center} aria-label="Chat">
        <div class={styles.modelBar}>
          <label for="model">Model</label>
          <select
            id="model"
            value={conv.settings.model}
            onChange={(e) => {
              const model = e.currentTarget.value
              setConv((c) => ({ ...c, settings: { ...c.settings, model } }))
            }}
          >
            {models.length === 0 && <option value="">No models</option>}
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.id}
                {m.state === 'loaded' ? ' ● loaded' : ''}
                {m.type === 'vlm' ? ' (vision)' : ''}
              </option>
            ))}
          </select>
          <button type="button" onClick={() => void refreshModels()}>
            Refresh
          </button>
        </div>
        <ErrorBanner error={modelsError} />
        <div
          class={styles.messages}
          aria-live="polite"
          aria-busy={!!streamingId}
        >
          {conv.messages.length === 0 && (
            <p class={ui.muted}>
              Ask something. Replies stream from{' '}
              <code>/v1/chat/completions</code>; speed and time to first token
              show under each reply.
            </p>
          )}
          {conv.messages.map((m, i) => (
            <MessageView
              key={m.id}
              message={m}
              structured={conv.settings.structured}
              streaming={m.id === streamingId}
              onToolResult={
                // the last reply's open calls can be answered
                i === conv.messages.length - 1 && !streamingId
                  ? (id, content) => void sendToolResult(id, content)
                  : undefined
              }
            />
          ))}
        </div>
        <ErrorBanner error={error} onDismiss={() => setError(null)} />
        <Composer
          busy={!!streamingId}
          vision={vision}
          onSend={(t, i) => void send(t, i)}
          onStop={() => abortRef.current?.abort()}
        />
      </section>
      <SettingsPanel
        settings={conv.settings}
        disabled={!!streamingId}
        onChange={(settings) => setConv((c) => ({ ...c, settings }))}
      />
    </div>
  )
}
