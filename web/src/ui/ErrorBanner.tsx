// Shows an API error with the API's own message; dismissable.
import styles from './ui.module.css'

export function ErrorBanner(props: { error: unknown; onDismiss?: () => void }) {
  if (!props.error) return null
  const message =
    props.error instanceof Error ? props.error.message : String(props.error)
  return (
    <div class={styles.error} role="alert">
      <span>{message}</span>
      {props.onDismiss && (
        <button
          type="button"
          onClick={props.onDismiss}
          aria-label="Dismiss error"
        >
          ×
        </button>
      )}
    </div>
  )
}
