/** Small HTTP helpers shared by the API handlers: JSON bodies, `metav1.Status` errors. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, statusOf, toApiError, type Status } from '../contracts.js';
import { parseApplyBody } from './apply.js';
import { decodeProtobufObject } from './protobuf.js';

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** The largest request body accepted, as a real server limits it (3 MiB). */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: unknown): void {
  const apiError = toApiError(error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, apiError.code, statusOf(apiError));
}

/**
 * Reads and parses a request body: JSON, or the protobuf kubectl's typed clients send (`kubectl create <kind>`).
 * 400 BadRequest for malformed JSON, 413 when too large, 415 for other formats.
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(buffer);
  }
  const body = Buffer.concat(chunks);
  if (contentType === PROTOBUF) return body.length === 0 ? undefined : decodeProtobufObject(body);
  // Server-side apply configurations are YAML by name; kubectl writes them as JSON, which the sandbox reads.
  if (contentType === 'application/apply-patch+yaml') return parseApplyBody(body.toString('utf8'));
  if (contentType !== '' && !contentType.endsWith('json')) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format (${contentType}) - accepted media types include: application/json, ${PROTOBUF}`,
    );
  }
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ApiError(400, 'BadRequest', `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether the Accept header asks for a `meta.k8s.io` Table. */
export function wantsTable(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept.split(',').some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part));
}

/** Re-exported for the API's modules, which take their HTTP helpers from here. */
export { statusOf, toApiError, type Status };
