import type { Readable } from 'node:stream';
import { DevModeErrorCodes } from '@devmode/protocol';
import {
  AbstractMessageReader,
  Disposable,
  type DataCallback,
  type Message,
  type ResponseMessage,
} from 'vscode-jsonrpc';

/** Answers a message the reader refuses itself, without it reaching a handler. */
export type RefusalWriter = (answer: ResponseMessage) => void;

const headerEnd = Buffer.from('\r\n\r\n');
const contentLengthPattern = /Content-Length:[ \t]*(\d+)\r\n/i;
/** A header block longer than this is garbage, not a header. */
const maxHeaderBytes = 8 * 1024;

/**
 * Reads LSP-framed JSON-RPC messages (`Content-Length: N\r\n\r\n` + N bytes of UTF-8 JSON) and survives bad input:
 * garbage bytes, a malformed header, invalid JSON or a wrong Content-Length are reported through `onError` and the
 * reader resynchronises on the next `Content-Length` header instead of losing every later message.
 */
export class ResilientFrameReader extends AbstractMessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private callback: DataCallback | undefined;

  /**
   * @param refuse answers what the reader refuses: a batch (one InvalidRequest error with id null, as JSON-RPC
   * answers a message it cannot take) and a request whose params are positional (InvalidParams with its id).
   */
  public constructor(
    private readonly input: Readable,
    private readonly refuse: RefusalWriter = () => undefined,
  ) {
    super();
  }

  public listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer): void => this.onData(chunk);
    const onError = (error: Error): void => this.fireError(error);
    const onClose = (): void => this.fireClose();
    this.input.on('data', onData);
    this.input.on('error', onError);
    this.input.on('end', onClose);
    this.input.on('close', onClose);
    return Disposable.create(() => {
      this.input.off('data', onData);
      this.input.off('error', onError);
      this.input.off('end', onClose);
      this.input.off('close', onClose);
    });
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.drain();
  }

  /** Joins the pending chunks once, so a 10 MB message costs one copy, not one per chunk. */
  private pending(): Buffer {
    if (this.chunks.length !== 1) {
      this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    }
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private consume(bytes: number): void {
    const rest = this.pending().subarray(bytes);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }

  private drain(): void {
    for (;;) {
      if (this.buffered === 0) return;
      const buffer = this.pending();
      const start = indexOfHeader(buffer, 0);
      if (start === -1) {
        // Keep a tail that could be the beginning of a header split across chunks; the rest is garbage.
        const keep = Math.min(buffer.length, 'Content-Length:'.length);
        if (buffer.length > keep) {
          this.reportGarbage(buffer.length - keep);
          this.consume(buffer.length - keep);
        }
        return;
      }
      if (start > 0) {
        this.reportGarbage(start);
        this.consume(start);
        continue;
      }
      const end = buffer.indexOf(headerEnd);
      if (end === -1) {
        if (buffer.length > maxHeaderBytes) this.dropBadFrame('a header block without an end', 1);
        return;
      }
      const header = buffer.toString('latin1', 0, end + 2);
      const match = contentLengthPattern.exec(header);
      if (match?.[1] === undefined) {
        this.dropBadFrame('a header without a numeric Content-Length', end + 4);
        continue;
      }
      const length = Number(match[1]);
      const bodyStart = end + 4;
      const available = buffer.length - bodyStart;
      // A raw CR LF followed by a header cannot occur inside JSON text, so seeing one means the declared length
      // overruns into the next message.
      const nextHeader = indexOfHeader(buffer, bodyStart);
      if (nextHeader !== -1 && nextHeader < bodyStart + length) {
        this.dropBadFrame(`a Content-Length of ${length} that runs into the next message`, nextHeader);
        continue;
      }
      if (available < length) return;
      const body = buffer.subarray(bodyStart, bodyStart + length);
      this.consume(bodyStart + length);
      this.deliver(body);
    }
  }

  private deliver(body: Buffer): void {
    let message: unknown;
    try {
      message = JSON.parse(body.toString('utf8'));
    } catch (error) {
      this.fireError(new Error(`Dropped a message whose body is not valid JSON: ${(error as Error).message}`));
      return;
    }
    if (Array.isArray(message)) {
      this.fireError(new Error(`Refused a batch of ${message.length} messages`));
      this.refuse(refusal(null, DevModeErrorCodes.InvalidRequest, 'Batches are not supported', { hint: batchHint }));
      return;
    }
    if (typeof message !== 'object' || message === null) {
      this.fireError(new Error('Dropped a message that is not a JSON-RPC object'));
      return;
    }
    const { id, method, params } = message as { id?: unknown; method?: unknown; params?: unknown };
    if (typeof method === 'string' && Array.isArray(params)) {
      // vscode-jsonrpc would spread the array into the handler's arguments; devmode params travel by name only.
      this.fireError(new Error(`Refused ${method} with positional params`));
      if (typeof id === 'string' || typeof id === 'number') {
        this.refuse(
          refusal(id, DevModeErrorCodes.InvalidParams, 'Invalid params: params must be an object', {
            field: 'params',
            hint: byName,
          }),
        );
      }
      return;
    }
    this.callback?.(message as Message);
  }

  private reportGarbage(bytes: number): void {
    this.fireError(new Error(`Skipped ${bytes} bytes that are not part of a Content-Length frame`));
  }

  private dropBadFrame(what: string, skip: number): void {
    this.fireError(new Error(`Dropped a frame with ${what}`));
    this.consume(skip);
  }
}

const batchHint = 'Send each request as its own message; devmode answers them concurrently.';
const byName = 'Params travel by name, as a JSON object, never as a positional array.';

function refusal(
  id: string | number | null,
  code: number,
  message: string,
  data: Record<string, string>,
): ResponseMessage {
  return { jsonrpc: '2.0', id, error: { code, message, data } };
}

function indexOfHeader(buffer: Buffer, from: number): number {
  // Header names are case-insensitive; clients send `Content-Length`, a few send lower case.
  const a = buffer.indexOf('Content-Length:', from, 'latin1');
  const b = buffer.indexOf('content-length:', from, 'latin1');
  if (a === -1) return b;
  if (b === -1) return a;
  return Math.min(a, b);
}
