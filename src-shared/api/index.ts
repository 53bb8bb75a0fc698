/** The UI API: shapes, method table, one typed client, and its two transports. */
export * from './types.js';
export * from './methods.js';
export * from './api-error.js';
export * from './client.js';
export * from './http-transport.js';
export * from './bridge.js';
export * from './ui-endpoint.js';
