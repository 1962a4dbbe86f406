import { joinOfMarkers, joinedMarker } from '../../../../lib/runtimes/native/orchestrator';
import type { Json } from '../../../../lib/model/json';
import type { JoinedDoc, ResultDoc } from '../../../../lib/store/run-documents';
import type { ListedDoc } from '../../../../lib/store/run-store';

const ok = (index: number, result: Json): ResultDoc => ({ type: 'result', runId: 'r', position: 0, index, attempt: 1, ok: true, result, completedAt: 1 });
const failed = (index: number, error: string): ResultDoc => ({
  type: 'result', runId: 'r', position: 0, index, attempt: 1, ok: false, failure: { error, cause: error, stageId: 'each' }, completedAt: 1,
});
const listed = (marker: JoinedDoc): ListedDoc<JoinedDoc> => ({ id: `joined/r/0000/${marker.bucket}`, doc: { ...marker, _id: `joined/r/0000/${marker.bucket}`, _rev: '1-x' } });
const stage = { taskCount: 6, stageId: 'each' };

describe('joined markers', () => {
  it('carry only the values of a bucket whose results all succeeded', () => {
    expect(joinedMarker('r', 0, 1, [ok(2, { a: 1 }), ok(3, null)])).toEqual({ type: 'joined', runId: 'r', position: 0, bucket: 1, values: [{ a: 1 }, null], attempts: 2 });
  });

  it('carry the result documents of a bucket with a failure, and nothing when too big or not known', () => {
    expect(joinedMarker('r', 0, 1, [ok(2, 1), failed(3, 'boom')]).results).toHaveLength(2);
    expect(joinedMarker('r', 0, 1, [ok(2, 1), failed(3, 'boom')]).values).toBeUndefined();
    expect(joinedMarker('r', 0, 1, [{ ...ok(2, 1), attempt: 3 }, failed(3, 'boom')]).attempts).toBe(4);
    const big = joinedMarker('r', 0, 1, [ok(2, 'x'.repeat(300 * 1024))]);
    expect(big.values).toBeUndefined();
    expect(big.results).toBeUndefined();
    expect(big.attempts).toBe(1);
    expect(joinedMarker('r', 0, 1, undefined)).toEqual({ type: 'joined', runId: 'r', position: 0, bucket: 1 });
  });

  it('join values and result documents (markers of earlier versions) with the own bucket in index order', () => {
    const markers = [
      listed({ type: 'joined', runId: 'r', position: 0, bucket: 2, values: [4, 5] }),
      listed({ type: 'joined', runId: 'r', position: 0, bucket: 0, results: [ok(0, 0), ok(1, 1)] }),
    ];
    expect(joinOfMarkers(markers, 1, [ok(2, 2), ok(3, 3)], stage)).toEqual({ ok: true, values: [0, 1, 2, 3, 4, 5] });
  });

  it('ignore the own bucket\'s marker and decide a failure by the lowest failed index', () => {
    const markers = [
      listed({ type: 'joined', runId: 'r', position: 0, bucket: 0, values: [0, 1] }),
      listed({ type: 'joined', runId: 'r', position: 0, bucket: 1, values: [99, 99] }),
      listed({ type: 'joined', runId: 'r', position: 0, bucket: 2, results: [failed(4, 'late'), ok(5, 5)] }),
    ];
    expect(joinOfMarkers(markers, 1, [failed(2, 'early'), ok(3, 3)], stage)).toEqual({ ok: false, failure: { error: 'early', cause: 'early', stageId: 'each' } });
    expect(joinOfMarkers(markers, 1, [ok(2, 2), ok(3, 3)], stage)).toEqual({ ok: false, failure: { error: 'late', cause: 'late', stageId: 'each' } });
  });

  it('give up (the join then reads the results) when a marker carries nothing or a bucket is missing', () => {
    const own = [ok(2, 2), ok(3, 3)];
    expect(joinOfMarkers([listed({ type: 'joined', runId: 'r', position: 0, bucket: 0 }), listed({ type: 'joined', runId: 'r', position: 0, bucket: 2, values: [4, 5] })], 1, own, stage)).toBeUndefined();
    expect(joinOfMarkers([listed({ type: 'joined', runId: 'r', position: 0, bucket: 2, values: [4, 5] })], 1, own, stage)).toBeUndefined();
  });
});
