import { describe, expect, it } from 'vitest';
import { Batcher, LineSplitter, ResumePoint, splitTimestamp, timestampNanos } from './logLines.js';

const tick = (ms = 20): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('LineSplitter', () => {
  it('holds a partial line and a split character until they are complete', () => {
    const splitter = new LineSplitter();
    const bytes = Buffer.from('first\nsec€nd\r\nthi', 'utf8');
    const euro = bytes.indexOf(0xe2);
    expect(splitter.push(bytes.subarray(0, euro + 1))).toEqual(['first']);
    expect(splitter.push(bytes.subarray(euro + 1))).toEqual(['sec€nd']);
    expect(splitter.push(Buffer.from('rd\n'))).toEqual(['third']);
    expect(splitter.end()).toBeUndefined();
  });

  it('returns the last line when the stream ends without a line break', () => {
    const splitter = new LineSplitter();
    expect(splitter.push(Buffer.from('a\nb'))).toEqual(['a']);
    expect(splitter.end()).toBe('b');
  });
});

describe('timestamps', () => {
  it('splits the timestamp the API server puts before each line', () => {
    expect(splitTimestamp('2026-01-02T03:04:05.123456789Z hello world')).toEqual({
      timestamp: '2026-01-02T03:04:05.123456789Z',
      text: 'hello world',
    });
    expect(splitTimestamp('no timestamp here')).toEqual({ text: 'no timestamp here' });
  });

  it('compares timestamps of different precision by their value', () => {
    expect(timestampNanos('2026-01-02T03:04:05Z')! < timestampNanos('2026-01-02T03:04:05.1Z')!).toBe(true);
    expect(timestampNanos('2026-01-02T03:04:05.45Z')! < timestampNanos('2026-01-02T03:04:05.5Z')!).toBe(true);
    expect(timestampNanos('2026-01-02T03:04:05.5Z')).toBe(timestampNanos('2026-01-02T03:04:05.500000000Z'));
  });
});

describe('ResumePoint', () => {
  it('skips exactly the lines delivered before the stream was reopened', () => {
    const point = new ResumePoint();
    const t1 = '2026-01-02T03:04:05.1Z';
    const t2 = '2026-01-02T03:04:05.2Z';
    const t3 = '2026-01-02T03:04:05.3Z';
    for (const t of [t1, t2, t2]) {
      expect(point.isRepeat(t)).toBe(false);
      point.delivered(t);
    }
    expect(point.since).toBe(t2);
    point.reopened();
    // Reopened from t2: the server repeats both t2 lines, then a third t2 line and t3 are new.
    const replay = [t2, t2, t2, t3].map((t) => {
      const repeat = point.isRepeat(t);
      if (!repeat) point.delivered(t);
      return repeat;
    });
    expect(replay).toEqual([true, true, false, false]);
    expect(point.isRepeat(t1)).toBe(true);
  });
});

describe('Batcher', () => {
  it('sends lines that arrive within the interval as one batch', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number>((batch) => void batches.push(batch), {
      intervalMs: 30,
      maxLines: 100,
      highWaterMark: 1000,
    });
    for (let i = 0; i < 10; i++) batcher.push(i);
    expect(batches).toEqual([]);
    await tick(60);
    expect(batches).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  it('sends full batches at once, in order, losing and repeating nothing', async () => {
    const received: number[] = [];
    const sizes: number[] = [];
    const batcher = new Batcher<number>(
      async (batch) => {
        sizes.push(batch.length);
        received.push(...batch);
        await tick(1);
      },
      { intervalMs: 1000, maxLines: 100, highWaterMark: 10_000 },
    );
    for (let i = 0; i < 1050; i++) batcher.push(i);
    await batcher.flushAll();
    expect(received).toEqual(Array.from({ length: 1050 }, (_, i) => i));
    expect(Math.max(...sizes)).toBe(100);
  });

  it('asks producers to pause above the high-water mark', async () => {
    let release: () => void = () => undefined;
    const batcher = new Batcher<number>(() => new Promise<void>((resolve) => (release = resolve)), {
      intervalMs: 0,
      maxLines: 5,
      highWaterMark: 10,
    });
    const accepted = Array.from({ length: 20 }, (_, i) => batcher.push(i));
    expect(accepted.slice(0, 9).every(Boolean)).toBe(true);
    expect(accepted[19]).toBe(false);
    let drained = false;
    batcher.onDrain(() => (drained = true));
    // 20 queued: each sent batch of 5 lowers the queue; it drains once fewer than 10 wait.
    await tick();
    release();
    await tick();
    expect(drained).toBe(false);
    release();
    await tick();
    release();
    await tick();
    expect(drained).toBe(true);
  });
});
