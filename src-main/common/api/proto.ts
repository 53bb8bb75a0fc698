import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './gen/musicfs.js';

/**
 * Loads the control-plane API from proto/ at run time (proto-loader) with the
 * same options its types were generated with (scripts/gen-proto.mjs), so the
 * generated types describe exactly what goes over the wire.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

const PROTO_ROOT = fileURLToPath(new URL('../../../../proto', import.meta.url));

let cached: ProtoGrpcType | undefined;

export function loadApi(): ProtoGrpcType {
  if (!cached) {
    const definition = protoLoader.loadSync('musicfs/v1/musicfs.proto', { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
    cached = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return cached;
}

export type * from './gen/musicfs/v1/MusicFS.js';
