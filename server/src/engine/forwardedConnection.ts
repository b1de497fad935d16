/**
 * One local connection carried to a pod. Until the pod's side has answered with a first byte, what the local side
 * sent is kept: if the pod refuses the connection and the caller says it may still start listening (a pod that is
 * not ready yet), the connection is dialled again and the kept bytes are sent again, so the local program sees a
 * slow start rather than a reset. Otherwise a refused connection is closed at once. Nothing the pod may have acted
 * on is ever sent twice: a refused connection received nothing.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { canDeliver } from '../kube/portForward.js';

/** How much may wait for the local client before the pod side is paused. */
const localBacklogLimit = 1024 * 1024;

export interface ForwardedConnectionOptions {
  /** Dials the pod side; undefined when no pod can be reached in time. */
  dial(): Promise<Duplex | undefined>;
  /**
   * Called when a dial's connection was refused by the pod: true to dial again (the pod may start listening soon),
   * false to close the local connection at once.
   */
  refused(error: Error): boolean;
  /** Called when the pod's side sent its first byte. */
  answered?(): void;
  /** The most bytes kept for sending again; beyond it, a refusal ends the connection. */
  replayLimit?: number;
}

/** The pod refused the connection: nothing reached a server, so it is safe to try again. */
export function isRefusal(error: Error): boolean {
  return /refused/i.test(error.message);
}

export class ForwardedConnection {
  private remote: Duplex | undefined;
  private kept: Buffer[] = [];
  private keptBytes = 0;
  /** True until the pod's side sent its first byte, or more than the replay limit was sent. */
  private replayable = true;
  private localEnded = false;
  private answered = false;
  private readonly replayLimit: number;

  public constructor(
    private readonly local: Socket,
    private readonly options: ForwardedConnectionOptions,
  ) {
    this.replayLimit = options.replayLimit ?? 1024 * 1024;
    local.on('data', (chunk: Buffer) => this.fromLocal(chunk));
    local.once('end', () => {
      this.localEnded = true;
      this.remote?.end();
    });
    local.once('close', () => this.remote?.destroy());
  }

  /** Dials and starts carrying data; closes the local side when no pod can be reached. */
  public async start(): Promise<void> {
    const remote = await this.options.dial();
    if (remote === undefined || this.local.destroyed) {
      remote?.destroy();
      this.closeLocal();
      return;
    }
    this.attach(remote);
    this.local.resume();
  }

  /** The pod connection currently carried, for shutting it down. */
  public destroy(): void {
    this.remote?.destroy();
    this.local.destroy();
  }

  private fromLocal(chunk: Buffer): void {
    if (this.replayable) {
      if (this.keptBytes + chunk.length <= this.replayLimit) {
        this.kept.push(chunk);
        this.keptBytes += chunk.length;
      } else {
        this.forget();
      }
    }
    // Data that arrives while a refused connection is dialled again is kept and sent after the replay.
    if (this.remote !== undefined && !this.remote.write(chunk)) this.local.pause();
  }

  private attach(remote: Duplex): void {
    this.remote = remote;
    remote.on('drain', () => {
      if (this.remote === remote) this.local.resume();
    });
    if (canDeliver(remote)) {
      // The pod connection writes into the local socket itself, coalescing reads into few large writes.
      remote.deliverTo(
        this.local,
        () => {
          if (this.remote === remote) this.podAnswered();
        },
        localBacklogLimit,
      );
    } else {
      remote.on('data', (chunk: Buffer) => {
        if (this.remote !== remote) return;
        this.podAnswered();
        // A socket's own high-water mark (64 KiB) is about one chunk: pausing at it would stall the stream at
        // every chunk. The pod side is paused only once a real backlog builds up; 'drain' resumes it.
        this.local.write(chunk);
        if (this.local.writableLength > localBacklogLimit) remote.pause();
      });
      this.local.on('drain', () => {
        if (this.remote === remote) remote.resume();
      });
    }
    remote.once('end', () => {
      if (this.remote === remote && !this.local.destroyed) this.local.end();
    });
    remote.once('error', (error: Error) => {
      if (this.remote !== remote) return;
      this.remote = undefined;
      if (this.replayable && isRefusal(error) && !this.local.destroyed) {
        if (this.options.refused(error)) void this.redial();
        else this.closeLocal();
        return;
      }
      this.local.destroy();
    });
    remote.once('close', () => {
      if (this.remote === remote && !this.local.destroyed) this.local.end();
    });
  }

  private async redial(): Promise<void> {
    this.local.pause();
    const remote = await this.options.dial();
    if (remote === undefined || this.local.destroyed) {
      remote?.destroy();
      this.closeLocal();
      return;
    }
    this.attach(remote);
    for (const chunk of this.kept) remote.write(chunk);
    if (this.localEnded) remote.end();
    this.local.resume();
  }

  private podAnswered(): void {
    if (!this.answered) {
      this.answered = true;
      this.options.answered?.();
    }
    this.forget();
  }

  private forget(): void {
    this.replayable = false;
    this.kept = [];
    this.keptBytes = 0;
  }

  /** Nothing to connect to: close cleanly (reading what was sent, so the close is not a reset). */
  private closeLocal(): void {
    this.local.resume();
    this.local.end();
    setTimeout(() => this.local.destroy(), 1000).unref();
  }
}
