// ToolCallParser events -> OpenAI chat.completion.chunk `delta.tool_calls`
// entries: the first delta of a call carries index, id, type and name (with
// empty arguments), the following ones only index + an arguments fragment.
import type { ToolCallEvent } from './toolCallParser.ts'

export type ToolCallDelta = {
  index: number
  id?: string
  type?: 'function'
  function: { name?: string; arguments: string }
}

/** The delta for one parser event, or undefined for content / end events. */
export function toolCallDelta(e: ToolCallEvent): ToolCallDelta | undefined {
  if (e.type === 'toolCallStart')
    return {
      index: e.index,
      id: e.id,
      type: 'function',
      function: { name: e.name, arguments: '' },
    }
  if (e.type === 'toolCallArguments')
    return { index: e.index, function: { arguments: e.fragment } }
  return undefined
}
