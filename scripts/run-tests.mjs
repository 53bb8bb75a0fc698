#!/usr/bin/env node
// Runs the compiled tests with node's own test runner.
//   unit:        dist/src-*/**/*.test.js  (pure logic, beside the code)
//   integration: dist/test/**/*.test.js   (real FUSE, real files, real processes)
// Extra arguments are passed to `node --test` (e.g. --test-name-pattern=layout).
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const [suite = 'unit', ...extra] = process.argv.slice(2);
const roots = suite === 'unit' ? ['dist/src-shared', 'dist/src-main'] : suite === 'integration' ? ['dist/test'] : [];
if (roots.length === 0) {
  console.error(`run-tests: unknown suite "${suite}" (unit | integration)`);
  process.exit(64);
}
const files = [];
const walk = (dir) => {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
};
roots.forEach(walk);
files.sort();
if (files.length === 0) {
  console.log(`run-tests: no ${suite} tests found (did you run npm run build?)`);
  process.exit(0);
}
const args = ['--test', '--enable-source-maps'];
// Integration tests mount FUSE and spawn daemons: one file at a time keeps
// them from starving each other on small CI machines.
if (suite === 'integration') args.push('--test-concurrency=1');
if (process.env.CI) args.push('--test-reporter=spec');
const res = spawnSync(process.execPath, [...args, ...extra, ...files], { stdio: 'inherit' });
process.exit(res.status ?? 1);
