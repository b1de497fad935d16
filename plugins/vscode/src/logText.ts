/** The text a log channel shows for lines, attachments and the end of a stream. Pure, unit-tested. */
import type { LogAttachment, LogLine, LogsEndReason } from '@devmode/protocol';

export function logLine(line: LogLine, showPod: boolean): string {
  const time = line.timestamp !== undefined ? `${line.timestamp} ` : '';
  const source = showPod ? `[${line.pod}/${line.container}] ` : '';
  return `${time}${source}${line.text}`;
}

export function attachmentLine(attachment: LogAttachment): string {
  const why =
    attachment.reason === 'containerRestarted'
      ? `container ${attachment.container} restarted`
      : `new pod ${attachment.pod}`;
  return `──── ${why}: following ${attachment.pod}/${attachment.container} ────`;
}

const endReasons: Record<LogsEndReason, string> = {
  completed: 'the stream sent everything',
  closed: 'the stream was closed',
  podDeleted: 'the pod was deleted',
  containerTerminated: 'the container stopped',
  error: 'the stream broke',
};

export function endLine(reason: LogsEndReason, message?: string): string {
  return `──── ${endReasons[reason] ?? reason}${message !== undefined ? `: ${message}` : ''} ────`;
}
