import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { KubeObject, ObjectClient } from '../kube/objects.js';
import { UnschedulableJudge, unschedulableMessage } from './scheduling.js';

function pod(name: string, scheduled: { status: string; reason?: string; message?: string }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', ...scheduled }] },
  };
}

const noNode = { status: 'False', reason: 'Unschedulable', message: 'no nodes available to schedule pods' };

/** An ObjectClient that only lists the given events (all the judge reads). */
function withEvents(events: Record<string, unknown>[]): ObjectClient {
  return { list: () => Promise.resolve(events) } as unknown as ObjectClient;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('unschedulableMessage', () => {
  test("is the scheduler's message while PodScheduled is False for want of a node", () => {
    expect(unschedulableMessage(pod('a', noNode))).toBe('no nodes available to schedule pods');
    expect(unschedulableMessage(pod('a', { status: 'True' }))).toBeUndefined();
    // Gated pods are not the scheduler's verdict.
    expect(unschedulableMessage(pod('a', { status: 'False', reason: 'SchedulingGated' }))).toBeUndefined();
  });
});

describe('UnschedulableJudge', () => {
  test('calls a pod stuck once it stayed Unschedulable for the grace', async () => {
    const stuck = vi.fn();
    const judge = new UnschedulableJudge(withEvents([]), stuck, () => false, 5000);
    judge.observe(pod('a', noNode));
    await vi.advanceTimersByTimeAsync(4900);
    expect(stuck).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(200);
    expect(stuck).toHaveBeenCalledTimes(1);
    expect(stuck.mock.calls[0]?.[1]).toBe('no nodes available to schedule pods');
  });

  test('a pod scheduled within the grace is not stuck', async () => {
    const stuck = vi.fn();
    const judge = new UnschedulableJudge(withEvents([]), stuck, () => false, 5000);
    judge.observe(pod('a', noNode));
    await vi.advanceTimersByTimeAsync(2000);
    judge.observe(pod('a', { status: 'True' }));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(stuck).not.toHaveBeenCalled();
  });

  test('waits while pods being deleted may free room, and judges once they are gone', async () => {
    const stuck = vi.fn();
    let deleting = true;
    const judge = new UnschedulableJudge(withEvents([]), stuck, () => deleting, 5000);
    judge.observe(pod('a', noNode));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(stuck).not.toHaveBeenCalled();
    deleting = false;
    await vi.advanceTimersByTimeAsync(5100);
    expect(stuck).toHaveBeenCalledTimes(1);
  });

  test('waits as long as a node autoscaler says it adds a node for the pod', async () => {
    const stuck = vi.fn();
    const scaleUp = { involvedObject: { kind: 'Pod', name: 'a' }, reason: 'TriggeredScaleUp' };
    const otherPod = { involvedObject: { kind: 'Pod', name: 'b' }, reason: 'TriggeredScaleUp' };
    const judge = new UnschedulableJudge(withEvents([scaleUp]), stuck, () => false, 5000);
    judge.observe(pod('a', noNode));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(stuck).not.toHaveBeenCalled();
    judge.dispose();

    const judgeOther = new UnschedulableJudge(withEvents([otherPod]), stuck, () => false, 5000);
    judgeOther.observe(pod('a', noNode));
    await vi.advanceTimersByTimeAsync(5100);
    expect(stuck).toHaveBeenCalledTimes(1);
  });

  test('a disposed judge says nothing', async () => {
    const stuck = vi.fn();
    const judge = new UnschedulableJudge(withEvents([]), stuck, () => false, 5000);
    judge.observe(pod('a', noNode));
    judge.dispose();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(stuck).not.toHaveBeenCalled();
  });
});
