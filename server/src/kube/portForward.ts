/**
 * One TCP connection to a pod's port over the `portforward` subresource (WebSocket, channel protocol v4): port 0
 * of the request has data channel 0 and error channel 1, and the server's first message on each is the port number.
 */
import { Duplex, type Writable } from 'node:stream';
import { connectChannelSocket, V4, type ChannelSocket } from './channelSocket.js';
import { CoalescingWriter } from './coalescingWriter.js';
import type { ClusterClient } from './client.js';

export interface PodTarget {
  namespace: string;
  pod: string;
}

/** Opens connections to pod ports, as kubectl's `PortForwarder`: the one seam the port-forward engine needs. */
export interface PortForwarder {
  /**
   * Connects to `port` of the pod. Rejects with a `KubeError` when the API server refuses (unknown or stopped pod);
   * a refused pod port shows as an error on the returned stream.
   */
  connect(target: PodTarget, port: number): Promise<Duplex>;
}

export function podPortForwarder(cluster: ClusterClient): PortForwarder {
  return {
    async connect(target, port) {
      const path =
        `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}` +
        `/portforward?ports=${port}`;
      const connection = new PodConnection(target, port);
      connection.attach(
        await connectChannelSocket(cluster, path, [V4], {
          data: (channel, data) => connection.received(channel, data),
          close: () => connection.remoteClosed(),
        }),
      );
      return connection;
    },
  };
}

/** A pod connection that can write what the pod sends straight into a local stream, as few large writes. */
export interface DeliveringStream extends Duplex {
  /**
   * From now on, what the pod sends goes to `sink` instead of this stream's readable side (which still ends when
   * the pod's side does). `onData` runs at the first byte. More than `backlogBytes` waiting for the sink pauses
   * the pod's side.
   */
  deliverTo(sink: Writable, onData: () => void, backlogBytes: number): void;
}

export function canDeliver(stream: Duplex): stream is DeliveringStream {
  return typeof (stream as Partial<DeliveringStream>).deliverTo === 'function';
}

const DATA = 0;
const ERROR = 1;

class PodConnection extends Duplex implements DeliveringStream {
  private socket: ChannelSocket | undefined;
  private writer: CoalescingWriter | undefined;
  private onData: (() => void) | undefined;
  /** Bytes of the port-number prefix still to skip, per channel. */
  private readonly prefixLeft = [2, 2];
  private errorText = '';

  public constructor(
    private readonly target: PodTarget,
    private readonly port: number,
  ) {
    super({ readableHighWaterMark: 256 * 1024, writableHighWaterMark: 256 * 1024 });
  }

  public attach(socket: ChannelSocket): void {
    this.socket = socket;
  }

  public deliverTo(sink: Writable, onData: () => void, backlogBytes: number): void {
    this.writer = new CoalescingWriter(sink, {
      pause: () => this.socket?.pause(),
      resume: () => this.socket?.resume(),
      backlogBytes,
    });
    // What arrived before is already queued here; it goes first.
    let queued = false;
    for (let chunk = this.read() as Buffer | null; chunk !== null; chunk = this.read() as Buffer | null) {
      this.writer.write(chunk);
      queued = true;
    }
    if (queued) onData();
    else this.onData = onData;
    // Flowing with nothing to read, so that the end of the pod's side is still seen as 'end'.
    this.resume();
  }

  public override _read(): void {
    // Delivering, the writer alone decides when the pod's side reads.
    if (this.writer === undefined) this.socket?.resume();
  }

  public override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket === undefined) callback(new Error('not connected'));
    else this.socket.send(DATA, chunk, callback);
  }

  public override _final(callback: (error?: Error | null) => void): void {
    // Channel protocol v4 cannot close one direction: the pod's side sees the end when the connection closes.
    callback();
  }

  public override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket?.close(1000);
    callback(error);
  }

  public received(channel: number, data: Buffer): void {
    if (channel !== DATA && channel !== ERROR) return;
    let payload = data;
    const skip = Math.min(this.prefixLeft[channel]!, payload.length);
    if (skip > 0) {
      this.prefixLeft[channel]! -= skip;
      payload = payload.subarray(skip);
    }
    if (payload.length === 0) return;
    if (channel === DATA) {
      if (this.writer !== undefined) {
        this.writer.write(payload);
        const onData = this.onData;
        this.onData = undefined;
        onData?.();
      } else if (!this.push(Buffer.from(payload))) {
        // The payload is a view of the socket's reused read buffer: what is queued is a copy.
        this.socket?.pause();
      }
      return;
    }
    this.errorText += payload.toString('utf8');
    this.destroy(
      new Error(`port ${this.port} of pod ${this.target.namespace}/${this.target.pod}: ${this.errorText.trim()}`),
    );
  }

  public remoteClosed(): void {
    this.writer?.flush();
    if (!this.destroyed) this.push(null);
  }
}
