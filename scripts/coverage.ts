/**
 * Prints implemented/total operations per surface from the typed handler maps, and rewrites the
 * coverage table in README.md between the `coverage` markers when run with --write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { coverageReport } from '../src/surfaces/coverage.ts';

const rows = coverageReport();
const lines = ['| surface | implemented | total |', '|---|---|---|'];
for (const r of rows) lines.push(`| ${r.name} | ${r.implemented} | ${r.total} |`);
const total = rows.reduce((a, r) => ({ i: a.i + r.implemented, t: a.t + r.total }), { i: 0, t: 0 });
lines.push(`| **all** | **${total.i}** | **${total.t}** |`);
const table = lines.join('\n');
console.log(table);
if (process.argv.includes('--write')) {
  const readme = readFileSync('README.md', 'utf8');
  const next = readme.replace(/<!-- coverage:start -->[\s\S]*<!-- coverage:end -->/, `<!-- coverage:start -->\n${table}\n<!-- coverage:end -->`);
  writeFileSync('README.md', next);
}
