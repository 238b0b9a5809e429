// One SDK websocket connection (one namespace): answers RPC calls, runs
// channels and refuses signal subscriptions, in the order messages arrive.
// The auth packet has been handled before (wsServer.ts). Closing the socket
// aborts every open channel, so a client that goes away cancels its
// predictions. Malformed messages get a `communicationWarning`, never a
// crash.
import type { WebSocket } from 'ws'
import {
  type ChannelHandle,
  clientMessageSchema,
  type Namespace,
  type ServerMessage,
} from './protocol.ts'
import { serializeError } from './serializeError.ts'

type OpenChannel = {
  listeners: ((packet: unknown) => void)[]
  controller: AbortController
  ended: boolean
}

export class SdkSession {
  readonly #ws: WebSocket
  readonly #namespace: Namespace
  readonly #name: string
  readonly #channels = new Map<number, OpenChannel>()

  constructor(ws: WebSocket, name: string, namespace: Namespace) {
    this.#ws = ws
    this.#name = name
    this.#namespace = namespace
    ws.on('message', (data) => this.#receive(String(data)))
    ws.on('close', () => {
      for (const ch of this.#channels.values())
        ch.controller.abort(new Error('connection closed'))
      this.#channels.clear()
    })
  }

  #send(message: ServerMessage): void {
    if (this.#ws.readyState === this.#ws.OPEN)
      this.#ws.send(JSON.stringify(message))
  }

  #warn(warning: string): void {
    this.#send({ type: 'communicationWarning', warning })
  }

  #receive(text: string): void {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      this.#warn('Received a message that is not JSON.')
      return
    }
    const parsed = clientMessageSchema.safeParse(json)
    if (!parsed.success) {
      this.#warn(
        `Received an invalid message: ${parsed.error.issues[0]?.message}`,
      )
      return
    }
    const m = parsed.data
    switch (m.type) {
      case 'keepAlive':
        this.#send({ type: 'keepAliveAck' })
        return
      case 'communicationWarning':
      case 'channelAck':
        return
      case 'rpcCall':
        void this.#rpc(m.endpoint, m.callId, m.parameter)
        return
      case 'channelCreate':
        this.#openChannel(m.endpoint, m.channelId, m.creationParameter)
        return
      case 'channelSend': {
        const ch = this.#channels.get(m.channelId)
        if (!ch) {
          this.#warn(`channelSend for unknown channel ${m.channelId}`)
          return
        }
        if (m.ackId !== undefined)
          this.#send({
            type: 'channelAck',
            channelId: m.channelId,
            ackId: m.ackId,
          })
        for (const l of ch.listeners) l(m.message)
        return
      }
      case 'signalSubscribe':
      case 'writableSignalSubscribe': {
        const error = serializeError(
          new Error(
            `Signal "${m.endpoint}" of namespace "${this.#name}" is not supported by this server.`,
          ),
        )
        this.#send(
          m.type === 'signalSubscribe'
            ? { type: 'signalError', subscribeId: m.subscribeId, error }
            : {
                type: 'writableSignalError',
                subscribeId: m.subscribeId,
                error,
              },
        )
        return
      }
      default:
        return
    }
  }

  async #rpc(endpoint: string, callId: number, parameter: unknown) {
    const handler = this.#namespace.rpc[endpoint]
    try {
      if (!handler)
        throw new Error(
          `RPC "${endpoint}" of namespace "${this.#name}" is not supported by this server.`,
        )
      const result = await handler(parameter)
      this.#send({ type: 'rpcResult', callId, result })
    } catch (error) {
      this.#send({ type: 'rpcError', callId, error: serializeError(error) })
    }
  }

  #openChannel(endpoint: string, channelId: number, creation: unknown) {
    const ch: OpenChannel = {
      listeners: [],
      controller: new AbortController(),
      ended: false,
    }
    this.#channels.set(channelId, ch)
    const end = (message: ServerMessage) => {
      if (ch.ended) return
      ch.ended = true
      this.#channels.delete(channelId)
      this.#send(message)
    }
    const handle: ChannelHandle = {
      send: (packet) => {
        if (!ch.ended)
          this.#send({ type: 'channelSend', channelId, message: packet })
      },
      close: () => end({ type: 'channelClose', channelId }),
      fail: (error) =>
        end({ type: 'channelError', channelId, error: serializeError(error) }),
      onMessage: (listener) => {
        ch.listeners.push(listener)
      },
      signal: ch.controller.signal,
    }
    const handler = this.#namespace.channels[endpoint]
    if (!handler) {
      handle.fail(
        new Error(
          `Channel "${endpoint}" of namespace "${this.#name}" is not supported by this server.`,
        ),
      )
      return
    }
    Promise.resolve()
      .then(() => handler(creation, handle))
      .catch((error) => handle.fail(error))
  }
}
