// The message box: Enter sends (Shift+Enter: new line), Stop cancels a
// running reply, and images can be dropped on it or picked with the
// button when the model sees images.
import { useRef, useState } from 'preact/hooks'
import ui from '../ui/ui.module.css'
import styles from './chat.module.css'
import { IMAGE_TYPES, readImages } from './readImages.ts'
import type { ChatImage } from './types.ts'

export function Composer(props: {
  busy: boolean
  vision: boolean
  onSend: (text: string, images: ChatImage[]) => void
  onStop: () => void
}) {
  const [text, setText] = useState('')
  const [images, setImages] = useState<ChatImage[]>([])
  const [dragging, setDragging] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const fileRef = useRef<HTMLInputElement>(null)

  const add = async (files: FileList | null | undefined) => {
    if (!files?.length) return
    if (!props.vision) {
      setProblem('This model does not take images: pick a vision model (VLM).')
      return
    }
    try {
      const read = await readImages(Array.from(files))
      setImages((prev) => [...prev, ...read])
      setProblem(null)
    } catch (e) {
      setProblem((e as Error).message)
    }
  }
  const send = () => {
    if (props.busy || (!text.trim() && !images.length)) return
    props.onSend(text, images)
    setText('')
    setImages([])
  }
  return (
    <form
      class={`${styles.composer} ${dragging ? styles.dragging : ''}`}
      aria-label="Compose a message"
      onSubmit={(e) => {
        e.preventDefault()
        send()
      }}
      onDragOver={(e) => {
        e.preventDefault()
        setDragging(true)
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault()
        setDragging(false)
        void add(e.dataTransfer?.files)
      }}
    >
      {images.length > 0 && (
        <div class={styles.thumbs}>
          {images.map((i, n) => (
            <button
              key={i.name + n}
              type="button"
              aria-label={`Remove image ${i.name}`}
              onClick={() => setImages(images.filter((_, k) => k !== n))}
            >
              <img src={i.dataUrl} alt="" /> ×
            </button>
          ))}
        </div>
      )}
      <label class="visually-hidden" for="message">
        Message
      </label>
      <textarea
        id="message"
        placeholder={
          props.vision
            ? 'Message (drop images here)…'
            : 'Message… (Enter sends, Shift+Enter new line)'
        }
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault()
            send()
          }
        }}
      />
      {problem && (
        <div class={ui.error} role="alert">
          {problem}
        </div>
      )}
      <div class={ui.row}>
        <input
          ref={fileRef}
          id="image-input"
          class="visually-hidden"
          type="file"
          accept={IMAGE_TYPES.join(',')}
          multiple
          tabIndex={-1}
          aria-label="Image files"
          onChange={(e) => {
            void add(e.currentTarget.files)
            e.currentTarget.value = ''
          }}
        />
        <button
          type="button"
          disabled={!props.vision}
          title={
            props.vision ? 'Attach images' : 'The model does not take images'
          }
          onClick={() => fileRef.current?.click()}
        >
          Attach image
        </button>
        <span class={ui.spacer} />
        {props.busy ? (
          <button type="button" class="danger" onClick={props.onStop}>
            Stop
          </button>
        ) : (
          <button type="submit" class="primary">
            Send
          </button>
        )}
      </div>
    </form>
  )
}
