import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { loadConfig, NODE_REGION_CONFIG_FILE_OPTIONS, NODE_REGION_CONFIG_OPTIONS } from '@smithy/core/config';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { S3Location } from '../../../../src-shared/origin-location.js';
import type { Logger } from '../../base/logger.js';
import { registerSecret } from '../../base/secrets.js';

/**
 * The S3Client of one S3 origin.
 *
 * - Credentials come from the standard AWS chain (environment, shared
 *   credentials/config files, the location's profile, SSO, instance metadata),
 *   and their secret parts are registered for scrubbing as soon as they are
 *   resolved.
 * - Region: the location's, else the chain's (AWS_REGION, the profile), else
 *   us-east-1; a bucket found in another region is followed there.
 * - One attempt per request: the federation layer (guarded-origin.ts) owns
 *   deadlines and retries.
 * - Keep-alive sockets, enough of them for parallel ranged reads.
 * - AWS_CA_BUNDLE (set machine-wide on some hosts) is honoured for https
 *   endpoints only, as the AWS CLI does; an http endpoint never looks at it.
 */

const MAX_SOCKETS = 64;
const CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_REGION = 'us-east-1';

export function createS3Client(location: S3Location, logger: Logger): S3Client {
  const region = location.region ?? loadConfig({ ...NODE_REGION_CONFIG_OPTIONS, default: DEFAULT_REGION }, { ...NODE_REGION_CONFIG_FILE_OPTIONS, profile: location.profile });
  return new S3Client({
    region,
    endpoint: location.endpoint,
    forcePathStyle: location.pathStyle,
    profile: location.profile,
    followRegionRedirects: location.endpoint === undefined,
    maxAttempts: 1,
    credentialDefaultProvider: (init: Parameters<typeof defaultProvider>[0]) => registeringSecrets(defaultProvider(init)),
    // Reads are ranged: there is no whole-object checksum to check them against.
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: CONNECT_TIMEOUT_MS,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS, ...httpsCa(location, logger) }),
    }),
  });
}

function registeringSecrets(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  return async (options) => {
    const identity: AwsCredentialIdentity = await provider(options);
    registerSecret(identity.secretAccessKey);
    registerSecret(identity.sessionToken);
    return identity;
  };
}

/** The CA bundle of AWS_CA_BUNDLE for an https endpoint (AWS itself when no endpoint is given). */
function httpsCa(location: S3Location, logger: Logger): { ca?: Buffer } {
  const bundle = process.env['AWS_CA_BUNDLE'];
  if (bundle === undefined || bundle === '' || location.endpoint?.toLowerCase().startsWith('http://')) return {};
  try {
    return { ca: readFileSync(bundle) };
  } catch (err) {
    logger.warn('AWS_CA_BUNDLE is not readable; using the default certificate authorities', { file: bundle, reason: (err as Error).message });
    return {};
  }
}
