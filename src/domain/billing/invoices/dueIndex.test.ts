import { describe, expect, it } from 'vitest';
import { mapCollection } from '../../../store/memoryUnitOfWork.ts';
import type { Collection, UnitOfWork } from '../../shared/unitOfWork.ts';
import { DueIndex } from './dueIndex.ts';

/**
 * The due index answers from committed state only: a unit of work's writes count once it commits,
 * a rolled-back one leaves the answer as it was, and records due at the same instant come in the
 * collection's order (the order the scan it replaces found them in).
 */

interface Rec {
  id: string;
  at?: number;
}

/** committed records, and units of work that lay their writes over them until commit */
function store() {
  const committed = new Map<string, Rec>();
  const begin = () => {
    const draft = new Map<string, Rec | null>();
    const tx: UnitOfWork = { namespace: 'ns', collection: () => col as never, afterCommit: () => undefined };
    const view = (): Map<string, Rec> => {
      const m = new Map(committed);
      for (const [k, v] of draft) {
        if (v) m.set(k, v);
        else m.delete(k);
      }
      return m;
    };
    const col: Collection<Rec> = {
      ...mapCollection(new Map()),
      get: (id) => view().get(id),
      list: () => [...view().values()],
      put: (v) => {
        index.touched(tx, v.id);
        draft.set(v.id, v);
      },
      delete: (id) => {
        index.touched(tx, id);
        draft.set(id, null);
      },
    };
    const commit = () => {
      for (const [k, v] of draft) {
        if (v) committed.set(k, v);
        else committed.delete(k);
      }
    };
    return { tx, col, commit };
  };
  const index = new DueIndex<Rec>(1, (r) => [r.at]);
  const run = (fn: (col: Collection<Rec>) => void, ok = true) => {
    const w = begin();
    fn(w.col);
    if (ok) w.commit();
  };
  const earliest = () => {
    const w = begin();
    return index.earliest(w.tx, w.col, 0);
  };
  const due = (until: number) => {
    const w = begin();
    return index.due(w.tx, w.col, 0, until).map((r) => r.id);
  };
  return { index, run, earliest, due, begin, committed };
}

describe('due index', () => {
  it('follows committed writes: an earlier instant, a record no longer due, a new record, a deleted one', () => {
    const s = store();
    s.run((c) => ['a', 'b', 'c'].forEach((id, i) => c.put({ id, at: 30 - i * 10 })));
    expect(s.earliest()).toBe(10);
    s.run((c) => c.put({ id: 'a', at: 5 }));
    expect(s.earliest()).toBe(5);
    s.run((c) => c.put({ id: 'a' }));
    expect(s.earliest()).toBe(10);
    s.run((c) => c.put({ id: 'd', at: 1 }));
    expect(s.earliest()).toBe(1);
    s.run((c) => c.delete('d'));
    expect(s.earliest()).toBe(10);
  });

  it('a rolled-back write leaves the answer on the committed records', () => {
    const s = store();
    s.run((c) => c.put({ id: 'a', at: 20 }));
    expect(s.earliest()).toBe(20);
    s.run((c) => {
      c.put({ id: 'a', at: 1 });
      c.put({ id: 'new', at: 2 });
    }, false);
    expect(s.earliest()).toBe(20);
    expect(s.due(100)).toEqual(['a']);
  });

  it('a look from inside the writing unit of work sees its writes, and they are forgotten when it rolls back', () => {
    const s = store();
    s.run((c) => c.put({ id: 'a', at: 20 }));
    expect(s.earliest()).toBe(20);
    const w = s.begin();
    w.col.put({ id: 'a', at: 3 });
    expect(s.index.earliest(w.tx, w.col, 0)).toBe(3);
    expect(s.index.due(w.tx, w.col, 0, 5).map((r) => r.id)).toEqual(['a']);
    // no commit
    expect(s.earliest()).toBe(20);
  });

  it('records due at the same instant come in the order the collection lists them', () => {
    const s = store();
    s.run((c) => ['x', 'y', 'z'].forEach((id) => c.put({ id, at: 50 })));
    expect(s.due(50)).toEqual(['x', 'y', 'z']);
    s.run((c) => {
      c.put({ id: 'z', at: 40 });
      c.put({ id: 'w', at: 40 });
      c.put({ id: 'x', at: 40 });
    });
    expect(s.due(50)).toEqual(['x', 'y', 'z', 'w']);
    expect(s.due(40)).toEqual(['x', 'z', 'w']);
    expect(s.due(39)).toEqual([]);
  });

  it('a record replaced behind its back is read again before it is trusted; forget starts over', () => {
    const s = store();
    s.run((c) => ['a', 'b'].forEach((id, i) => c.put({ id, at: 10 + i })));
    expect(s.earliest()).toBe(10);
    // a reload after a failed write: new objects, no write went through the index
    s.committed.set('a', { id: 'a', at: 30 });
    expect(s.earliest()).toBe(11);
    s.committed.set('b', { id: 'b', at: 2 });
    s.index.forget('ns');
    expect(s.earliest()).toBe(2);
    expect(s.due(100)).toEqual(['a', 'b']);
  });
});
