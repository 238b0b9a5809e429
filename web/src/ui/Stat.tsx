import styles from './ui.module.css'

export function Stat(props: { label: string; value: string | number }) {
  return (
    <div class={styles.stat}>
      <div class={styles.statLabel}>{props.label}</div>
      <div class={styles.statValue}>{props.value}</div>
    </div>
  )
}
