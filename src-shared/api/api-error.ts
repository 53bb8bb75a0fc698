import type { ErrorCode } from '../errors.js';

/**
 * An error from the daemon as it crosses the HTTP gateway or the preload
 * bridge: the code and context travel as data (`ApiErrorBody`), and the
 * client rebuilds an `ApiError` from them, so the UI can say what went wrong
 * (and which origin or path) whatever the transport.
 */

export interface ApiErrorBody {
  code: ErrorCode | 'UNAUTHORIZED' | 'TRANSPORT';
  message: string;
  origin?: string;
  path?: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorBody['code'],
    message: string,
    readonly origin?: string,
    readonly path?: string,
  ) {
    super(message);
  }

  static from(body: ApiErrorBody): ApiError {
    return new ApiError(body.code, body.message, body.origin, body.path);
  }

  toBody(): ApiErrorBody {
    return { code: this.code, message: this.message, ...(this.origin !== undefined ? { origin: this.origin } : {}), ...(this.path !== undefined ? { path: this.path } : {}) };
  }
}

export function isApiErrorBody(value: unknown): value is ApiErrorBody {
  return typeof value === 'object' && value !== null && typeof (value as ApiErrorBody).code === 'string' && typeof (value as ApiErrorBody).message === 'string';
}
