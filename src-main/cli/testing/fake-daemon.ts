import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadApi, type MusicFSHandlers } from '../../common/api/proto.js';
import type { CliHost, CliIo, DaemonRequest } from '../host.js';
import type { Interrupts } from '../context.js';

/**
 * Test support for the CLI's tests (imported by *.test.ts only): a stand-in
 * for the daemon — a gRPC server on a temporary Unix socket that answers the
 * RPCs a test gives handlers for (the others answer UNIMPLEMENTED) — plus a
 * capturing CliIo, a host that records daemon runs, and a Ctrl-C the test
 * presses.
 */

export interface FakeDaemon {
  socketPath: string;
  dir: string;
  /** Every call received: method name and request. */
  calls: { method: string; request: unknown }[];
  /** Stops the server (at once) and removes its folder. */
  close(): Promise<void>;
}

export async function startFakeDaemon(handlers: Partial<MusicFSHandlers>): Promise<FakeDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'musicfs-cli-'));
  const socketPath = join(dir, 'control.sock');
  const calls: FakeDaemon['calls'] = [];
  const recorded: Record<string, unknown> = {};
  for (const [method, handler] of Object.entries(handlers)) {
    recorded[method] = (call: { request: unknown }, callback?: unknown) => {
      calls.push({ method, request: call.request });
      return (handler as (call: unknown, callback: unknown) => void)(call, callback);
    };
  }
  const server = new grpc.Server();
  server.addService(loadApi().musicfs.v1.MusicFS.service, recorded as grpc.UntypedServiceImplementation);
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  let closed = false;
  return {
    socketPath,
    dir,
    calls,
    async close() {
      if (closed) return;
      closed = true;
      server.forceShutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface CapturedIo extends CliIo {
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout contains `text`. */
  waitForOut(text: string): Promise<void>;
}

export function captureIo(tty: { stdout?: boolean; stderr?: boolean } = {}): CapturedIo {
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      if (out.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  return {
    out: (text) => {
      out += text;
      check();
    },
    err: (text) => void (err += text),
    stdoutIsTTY: tty.stdout === true,
    stderrIsTTY: tty.stderr === true,
    stdout: () => out,
    stderr: () => err,
    waitForOut: (text) =>
      new Promise<void>((resolve) => {
        waiters.push({ text, resolve });
        check();
      }),
  };
}

/** A host that records what it was asked to run and returns `exitCode`. */
export function recordingHost(exitCode = 0): CliHost & { requests: DaemonRequest[] } {
  const requests: DaemonRequest[] = [];
  return {
    requests,
    async runDaemon(request) {
      requests.push(request);
      return exitCode;
    },
  };
}

/** A Ctrl-C the test presses. */
export class TestInterrupts implements Interrupts {
  private readonly handlers = new Set<() => void>();

  listen(onInterrupt: () => void): () => void {
    this.handlers.add(onInterrupt);
    return () => this.handlers.delete(onInterrupt);
  }

  get listening(): boolean {
    return this.handlers.size > 0;
  }

  press(): void {
    for (const h of [...this.handlers]) h();
  }
}
