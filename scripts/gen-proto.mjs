#!/usr/bin/env node
// Generates the TypeScript types of the control-plane API from proto/ (the
// single source of truth) into src-main/common/api/gen/ with proto-loader's
// typed output, then adds the `.js` extensions ESM (NodeNext) needs to its
// relative imports. The output is not committed; never edit it by hand.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const OUT = 'src-main/common/api/gen';
// Must match PROTO_LOADER_OPTIONS in src-main/common/api/proto.ts.
const FLAGS = ['--longs=Number', '--enums=String', '--defaults', '--oneofs', '--includeComments', '--grpcLib=@grpc/grpc-js'];

rmSync(OUT, { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/@grpc/proto-loader/build/bin/proto-loader-gen-types.js', ...FLAGS, '-I', 'proto', '-O', OUT, 'musicfs/v1/musicfs.proto'], {
  stdio: ['ignore', 'ignore', 'inherit'],
});

const walk = (dir) => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
for (const file of walk(OUT)) {
  const text = readFileSync(file, 'utf8').replace(/from '(\.{1,2}\/[^']+)'/g, (_, p) => `from '${p}.js'`);
  writeFileSync(file, `// Generated from proto/ by scripts/gen-proto.mjs: do not edit.\n${text}`);
}
