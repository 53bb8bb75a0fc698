/**
 * The layout engine: a track's tags in, its path in the mount out.
 * Pure: shared by the daemon (which builds the tree), the CLI and the UI (which
 * validate and preview a template).
 */
export const DEFAULT_LAYOUT = '{albumartist}/{album}/{disc-}{track:02} - {title}{.ext}';

/**
 * Bump whenever the engine renders a template differently (a fallback, a
 * sanitising rule): names the daemon stored for the old engine are then
 * rendered again.
 */
export const LAYOUT_ENGINE_VERSION = 1;

export { compileLayout } from './template.js';
export type { CompiledLayout } from './template.js';
export { LAYOUT_FIELDS, layoutFieldValues, formatName } from './fields.js';
export type { LayoutFieldInfo, LayoutFieldKind, LayoutFieldName, LayoutFieldValues } from './fields.js';
export { sanitizeComponent, sanitizeFileName, truncateUtf8, utf8ByteLength, MAX_COMPONENT_BYTES } from './sanitize.js';
export { resolveCollisions } from './collisions.js';
export type { PathClaim } from './collisions.js';
