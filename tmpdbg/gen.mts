import { mkdirSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
const dir = process.argv[2]!;
const n = Number(process.argv[3] ?? 1_000_000);
mkdirSync(`${dir}/namespaces/default`, { recursive: true });
const fd = openSync(`${dir}/namespaces/default/events.jsonl`, 'w');
const start = Date.parse('2025-01-01T00:00:00Z');
let buf: string[] = [];
for (let i = 0; i < n; i++) {
  const t = new Date(start + i * 1000).toISOString();
  buf.push(JSON.stringify({ id: `e${i}`, source: 'bench', specversion: '1.0', type: 'prompt', subject: `customer-${i % 100}`, time: t, data: { tokens: i % 1000, model: 'gpt-4o' }, ingestedAt: t, storedAt: t, seq: i }) + '\n');
  if (buf.length === 10000) { writeSync(fd, buf.join('')); buf = []; }
}
writeSync(fd, buf.join('')); closeSync(fd);
