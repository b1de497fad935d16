/**
 * The streaming subresources of pods: exec, attach and port-forward, in every transport that kubectl 1.32 and
 * @kubernetes/client-node use. The API server authenticates the request and hands the upgrade over here.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { PodRuntime } from '../contracts.js';
import { chooseProtocol, offeredProtocols, PORT_FORWARD_CHANNEL_PROTOCOLS, SPDY_TUNNEL_PROTOCOL } from './channels.js';
import { takeFailure } from './fallback.js';
import { badRequest, rejectUpgrade } from './httpStatus.js';
import { handleRawSpdyPortForward, handleTunnelledSpdyPortForward } from './spdyUpgrade.js';
import { handleExecAttach, type StreamTarget } from './wsChannels.js';
import { handleChannelPortForward } from './wsPortForward.js';

export type { StreamTarget } from './wsChannels.js';

/**
 * Serves an authenticated upgrade request for `pods/<name>/exec|attach|portforward` on its socket. Errors known
 * before the upgrade (bad query, unknown pod or container, pod not running) are answered as HTTP with a `Status`
 * body; later errors travel inside the stream protocol.
 */
export function handleStreamUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: StreamTarget,
  runtime: PodRuntime,
): void {
  socket.on('error', () => {
    // The client went away; every handler cleans up on 'close'.
  });
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'websocket') {
    if (target.subresource !== 'portforward') {
      handleExecAttach(req, socket, head, { ...target, subresource: target.subresource }, runtime);
      return;
    }
    const offered = offeredProtocols(req);
    if (offered.includes(SPDY_TUNNEL_PROTOCOL)) {
      handleTunnelledSpdyPortForward(req, socket, head, target, runtime);
      return;
    }
    const protocol = offered.length === 0 ? '' : chooseProtocol(offered, PORT_FORWARD_CHANNEL_PROTOCOLS);
    if (protocol === undefined) {
      rejectUpgrade(socket, badRequest(`none of the requested protocols is supported: ${offered.join(', ')}`));
      return;
    }
    handleChannelPortForward(req, socket, head, target, runtime, protocol);
    return;
  }
  if (upgrade.startsWith('spdy/')) {
    if (target.subresource === 'portforward') {
      handleRawSpdyPortForward(req, socket, head, target, runtime);
      return;
    }
    // kubectl tries SPDY after a refused WebSocket, or when told to; a plain error beats a half-made session.
    const earlier = takeFailure(target.namespace, target.pod, target.subresource, target.query);
    rejectUpgrade(
      socket,
      earlier ??
        badRequest(
          `${target.subresource} over SPDY is not supported by this server: use WebSocket ` +
            '(unset KUBECTL_REMOTE_COMMAND_WEBSOCKETS or set it to true)',
        ),
    );
    return;
  }
  rejectUpgrade(socket, badRequest(`${target.subresource} needs an upgrade to WebSocket or SPDY/3.1`));
}
