/**
 * One TCP connection to a pod's port over the `portforward` subresource (WebSocket, channel protocol v4): port 0
 * of the request has data channel 0 and error channel 1, and the server's first message on each is the port number.
 */
import { Duplex } from 'node:stream';
import { connectChannelSocket, V4, type ChannelSocket } from './channelSocket.js';
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

const DATA = 0;
const ERROR = 1;

class PodConnection extends Duplex {
  private socket: ChannelSocket | undefined;
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

  public override _read(): void {
    this.socket?.resume();
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
      if (!this.push(payload)) this.socket?.pause();
      return;
    }
    this.errorText += payload.toString('utf8');
    this.destroy(
      new Error(`port ${this.port} of pod ${this.target.namespace}/${this.target.pod}: ${this.errorText.trim()}`),
    );
  }

  public remoteClosed(): void {
    if (!this.destroyed) this.push(null);
  }
}
