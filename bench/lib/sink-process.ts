/**
 * @module Starts the sink in its own process and hands back its URLs and control client.
 */
import type { ChildProcess } from 'node:child_process'
import { runChild } from './child.ts'
import { SinkControl } from './sink-control.ts'

export interface SinkProcess {
  /** Base URL of the data port, e.g. `http://127.0.0.1:4711`. */
  baseUrl: string
  control: SinkControl
  pid: number
  stop(): Promise<void>
}

interface ReadyMessage {
  type: 'ready'
  dataPort: number
  controlPort: number
  pid: number
}

export async function startSink(): Promise<SinkProcess> {
  let child: ChildProcess | undefined
  const ready = new Promise<ReadyMessage>((resolve, reject) => {
    const started = runChild(
      'sink/sink.ts',
      {},
      {
        timeoutMs: 24 * 3_600_000,
        onMessage: (message) => {
          if ((message as { type?: unknown }).type === 'ready') resolve(message as ReadyMessage)
        },
      },
    )
    child = started.child
    started.done.then((outcome) =>
      reject(new Error(`the sink exited before it was ready: ${outcome.outputTail}`)),
    )
  })
  const message = await ready
  const exited = new Promise<void>((resolve) => child?.once('exit', () => resolve()))
  return {
    baseUrl: `http://127.0.0.1:${message.dataPort}`,
    control: new SinkControl(`http://127.0.0.1:${message.controlPort}`),
    pid: message.pid,
    async stop() {
      if (child?.exitCode === null) {
        child.kill('SIGTERM')
        await exited
      }
    },
  }
}
