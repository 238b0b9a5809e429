// The generation settings of the open conversation: system prompt,
// sampling (temperature, top-p, max tokens, seed), structured output with
// a JSON schema editor, and function tools.
import styles from './chat.module.css'
import type { ChatSettings } from './types.ts'

function jsonProblem(text: string, array: boolean): string | null {
  try {
    const v = JSON.parse(text)
    if (
      array
        ? !Array.isArray(v)
        : !v || typeof v !== 'object' || Array.isArray(v)
    )
      return array ? 'must be a JSON array' : 'must be a JSON object'
    return null
  } catch (e) {
    return (e as Error).message
  }
}

export function SettingsPanel(props: {
  settings: ChatSettings
  onChange: (s: ChatSettings) => void
  disabled: boolean
}) {
  const s = props.settings
  const set = (patch: Partial<ChatSettings>) =>
    props.onChange({ ...s, ...patch })
  const num = (key: 'temperature' | 'topP' | 'maxTokens') => (e: Event) => {
    const v = Number((e.currentTarget as HTMLInputElement).value)
    if (Number.isFinite(v)) set({ [key]: v })
  }
  const schemaProblem = s.structured ? jsonProblem(s.schema, false) : null
  const toolsProblem = s.toolsEnabled ? jsonProblem(s.tools, true) : null
  return (
    <aside class={styles.settings} aria-label="Generation settings">
      <fieldset class={styles.fieldset} disabled={props.disabled}>
        <legend class="visually-hidden">Generation settings</legend>
        <div class={styles.field}>
          <label for="system-prompt">System prompt</label>
          <textarea
            id="system-prompt"
            rows={3}
            value={s.systemPrompt}
            onInput={(e) => set({ systemPrompt: e.currentTarget.value })}
          />
        </div>
        <div class={styles.field}>
          <label for="temperature">Temperature ({s.temperature})</label>
          <input
            id="temperature"
            type="range"
            min={0}
            max={2}
            step={0.05}
            value={s.temperature}
            onInput={num('temperature')}
          />
        </div>
        <div class={styles.field}>
          <label for="top-p">Top-p ({s.topP})</label>
          <input
            id="top-p"
            type="range"
            min={0.05}
            max={1}
            step={0.05}
            value={s.topP}
            onInput={num('topP')}
          />
        </div>
        <div class={styles.field}>
          <label for="max-tokens">Max tokens</label>
          <input
            id="max-tokens"
            type="number"
            min={1}
            max={32768}
            value={s.maxTokens}
            onInput={num('maxTokens')}
          />
        </div>
        <div class={styles.field}>
          <label for="seed">Seed (empty: random)</label>
          <input
            id="seed"
            inputMode="numeric"
            value={s.seed}
            onInput={(e) => set({ seed: e.currentTarget.value })}
          />
        </div>
        <div class={styles.inline}>
          <input
            id="structured"
            type="checkbox"
            checked={s.structured}
            onChange={(e) => set({ structured: e.currentTarget.checked })}
          />
          <label for="structured">Structured output (JSON schema)</label>
        </div>
        {s.structured && (
          <div class={styles.field}>
            <label for="schema">JSON schema</label>
            <textarea
              id="schema"
              class={`${styles.schema} ${schemaProblem ? styles.invalid : ''}`}
              spellcheck={false}
              value={s.schema}
              aria-invalid={schemaProblem ? 'true' : 'false'}
              aria-describedby="schema-status"
              onInput={(e) => set({ schema: e.currentTarget.value })}
            />
            <span
              id="schema-status"
              class={schemaProblem ? styles.hintBad : styles.hint}
            >
              {schemaProblem
                ? `Invalid: ${schemaProblem}`
                : 'Valid JSON; the server checks the schema itself.'}
            </span>
          </div>
        )}
        <div class={styles.inline}>
          <input
            id="tools-on"
            type="checkbox"
            checked={s.toolsEnabled}
            onChange={(e) => set({ toolsEnabled: e.currentTarget.checked })}
          />
          <label for="tools-on">Tools (function calling)</label>
        </div>
        {s.toolsEnabled && (
          <div class={styles.field}>
            <label for="tools">Tools (OpenAI format)</label>
            <textarea
              id="tools"
              class={`${styles.schema} ${toolsProblem ? styles.invalid : ''}`}
              spellcheck={false}
              value={s.tools}
              aria-invalid={toolsProblem ? 'true' : 'false'}
              onInput={(e) => set({ tools: e.currentTarget.value })}
            />
            {toolsProblem && (
              <span class={styles.hintBad}>Invalid: {toolsProblem}</span>
            )}
            <label for="tool-choice">Tool choice</label>
            <select
              id="tool-choice"
              value={s.toolChoice ?? 'auto'}
              onChange={(e) =>
                set({
                  toolChoice: e.currentTarget
                    .value as ChatSettings['toolChoice'],
                })
              }
            >
              <option value="auto">auto (the model decides)</option>
              <option value="required">required (always call a tool)</option>
            </select>
          </div>
        )}
      </fieldset>
    </aside>
  )
}
