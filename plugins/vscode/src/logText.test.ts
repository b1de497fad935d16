import { describe, expect, it } from 'vitest';
import { attachmentLine, endLine, logLine } from './logText';

describe('log channel text', () => {
  it('prefixes lines with pod and container only when several pods share the channel', () => {
    const line = { pod: 'ratings-1', container: 'ratings', text: 'GET /health 200' };
    expect(logLine(line, false)).toBe('GET /health 200');
    expect(logLine(line, true)).toBe('[ratings-1/ratings] GET /health 200');
    expect(logLine({ ...line, timestamp: '2026-01-01T00:00:00Z' }, false)).toBe('2026-01-01T00:00:00Z GET /health 200');
  });

  it('marks container restarts and pod replacements', () => {
    expect(attachmentLine({ pod: 'ratings-1', container: 'ratings', reason: 'containerRestarted' })).toBe(
      '──── container ratings restarted: following ratings-1/ratings ────',
    );
    expect(attachmentLine({ pod: 'ratings-2', container: 'ratings', reason: 'newPod' })).toBe(
      '──── new pod ratings-2: following ratings-2/ratings ────',
    );
  });

  it('says why a stream ended', () => {
    expect(endLine('podDeleted')).toBe('──── the pod was deleted ────');
    expect(endLine('error', 'connection reset')).toBe('──── the stream broke: connection reset ────');
  });
});
