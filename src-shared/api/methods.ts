import type {
  AddOriginInput,
  ApiEvent,
  CachePathsInput,
  CacheProgress,
  CacheStats,
  ConfigEntry,
  ConfigSetInput,
  ConfigSetResult,
  DaemonStatus,
  EventsInput,
  LayoutPreviewInput,
  LayoutPreviewResult,
  MountState,
  OriginInfo,
  OriginPatch,
  OriginTestResult,
  ScanProgress,
  SearchInput,
  SearchResult,
  TestOriginInput,
  TrustHostKeyInput,
} from './types.js';

/**
 * Every method of the UI API, by name: `[params, result]`. One table, read
 * by the typed client (`client.ts`), the daemon's handlers and both
 * transports (HTTP gateway, preload bridge), so a method cannot exist in one
 * and not the others. Streams deliver many messages and end; cancelling one
 * stops the daemon's work (a rescan, a prefetch).
 */
export interface UnaryMethods {
  status: [Record<string, never>, DaemonStatus];
  mount: [{ mountPoint?: string; allowNonEmpty?: boolean }, MountState];
  unmount: [Record<string, never>, MountState];
  listOrigins: [{ checkNow?: boolean }, OriginInfo[]];
  testOrigin: [TestOriginInput, OriginTestResult];
  addOrigin: [AddOriginInput, OriginInfo];
  updateOrigin: [{ name: string; patch: OriginPatch }, OriginInfo];
  removeOrigin: [{ name: string }, OriginInfo];
  trustHostKey: [TrustHostKeyInput, { knownHostsFile: string }];
  search: [SearchInput, SearchResult];
  cacheStats: [Record<string, never>, CacheStats];
  unpin: [CachePathsInput, { tracks: number }];
  getConfig: [{ keys?: string[] }, { entries: ConfigEntry[]; path: string }];
  setConfig: [ConfigSetInput, ConfigSetResult];
  previewLayout: [LayoutPreviewInput, LayoutPreviewResult];
  /** Opens a library folder (or a file's folder) in the desktop's file manager, on the machine the daemon runs on. */
  openFolder: [{ path: string }, { opened: string }];
}

export interface StreamMethods {
  /** Full scans of one origin, or of every enabled one when `name` is absent. */
  rescan: [{ name?: string }, ScanProgress];
  prefetch: [CachePathsInput, CacheProgress];
  pin: [CachePathsInput, CacheProgress];
  events: [EventsInput, ApiEvent];
}

export type UnaryMethod = keyof UnaryMethods;
export type StreamMethod = keyof StreamMethods;
export type ParamsOf<M extends UnaryMethod | StreamMethod> = M extends UnaryMethod ? UnaryMethods[M][0] : M extends StreamMethod ? StreamMethods[M][0] : never;
export type ResultOf<M extends UnaryMethod> = UnaryMethods[M][1];
export type MessageOf<M extends StreamMethod> = StreamMethods[M][1];

/** The names at run time (the transports refuse anything else). */
export const UNARY_METHODS = [
  'status',
  'mount',
  'unmount',
  'listOrigins',
  'testOrigin',
  'addOrigin',
  'updateOrigin',
  'removeOrigin',
  'trustHostKey',
  'search',
  'cacheStats',
  'unpin',
  'getConfig',
  'setConfig',
  'previewLayout',
  'openFolder',
] as const satisfies readonly UnaryMethod[];

export const STREAM_METHODS = ['rescan', 'prefetch', 'pin', 'events'] as const satisfies readonly StreamMethod[];

// Compile-time check that the lists name every method of the tables.
type Missing<T, L extends readonly unknown[]> = Exclude<T, L[number]>;
const everyUnary: Missing<UnaryMethod, typeof UNARY_METHODS> extends never ? true : never = true;
const everyStream: Missing<StreamMethod, typeof STREAM_METHODS> extends never ? true : never = true;
void everyUnary;
void everyStream;

export function isUnaryMethod(name: string): name is UnaryMethod {
  return (UNARY_METHODS as readonly string[]).includes(name);
}

export function isStreamMethod(name: string): name is StreamMethod {
  return (STREAM_METHODS as readonly string[]).includes(name);
}
