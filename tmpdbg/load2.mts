import { performance } from 'node:perf_hooks';
import { EventLog } from '../src/store/eventLog.ts';
import { EventIndex } from '../src/domain/metering/eventIndex.ts';
let t0 = performance.now();
const evs = EventLog.open(process.argv[2]! + '/namespaces/default/events.jsonl').load();
console.log('load ms', Math.round(performance.now() - t0), evs.length);
t0 = performance.now();
const idx = new EventIndex(); idx.append(evs);
console.log('index ms', Math.round(performance.now() - t0));
