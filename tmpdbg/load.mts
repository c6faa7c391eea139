import { performance } from 'node:perf_hooks';
import { Emulator } from '../src/runtime/Emulator.ts';
const t0 = performance.now();
const e = new Emulator({ dataDir: process.argv[2]!, quiet: true });
console.log('construct ms', Math.round(performance.now() - t0), 'rss MiB', Math.round(process.memoryUsage().rss / 2**20));
