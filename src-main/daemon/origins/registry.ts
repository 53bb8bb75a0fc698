import type { OriginLocation, OriginType } from '../../../src-shared/origin-location.js';
import type { Logger } from '../base/logger.js';
import { LocalOrigin } from './local-origin.js';
import type { Origin } from './origin.js';
import { S3Origin } from './s3/s3-origin.js';
import { SftpOrigin } from './sftp/sftp-origin.js';

/**
 * Origin types by scheme. Adding a type is one file implementing `Origin`
 * and one line here; nothing else in the daemon switches on the type.
 */

export interface OriginContext {
  /** Catalog id of the origin. */
  id: number;
  name: string;
  logger: Logger;
  /** Quiet time before a burst of watched changes is reported (local origins). */
  watchDebounceMs: number;
  /** Deadline of one operation, read live from the config. */
  deadlineMs: () => number;
}

type Factories = { [K in OriginType]: (location: Extract<OriginLocation, { type: K }>, context: OriginContext) => Origin };

const FACTORIES: Factories = {
  local: (location, c) => new LocalOrigin(c.id, c.name, location.path, c.logger, c.watchDebounceMs, c.deadlineMs),
  s3: (location, c) => new S3Origin(c.id, c.name, location, c.logger),
  sftp: (location, c) => new SftpOrigin(c.id, c.name, location, c.logger),
};

export function createOrigin(location: OriginLocation, context: OriginContext): Origin {
  const factory = FACTORIES[location.type] as (l: OriginLocation, c: OriginContext) => Origin;
  return factory(location, context);
}
