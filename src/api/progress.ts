/**
 * JSON message streams (pull, push, import, load, build): one JSON object per chunk, each ended
 * by `\r\n`, as moby's streamformatter writes them. Errors after the 200 are sent in-band with
 * both `errorDetail` (read by the docker CLI) and `error` (read by docker-py and dockerode).
 */
import type { Writable } from 'node:stream';
import { toBerthError } from '../core/errors.js';
import type { ApiResponse } from './contract.js';

export interface ProgressDetail {
  current?: number;
  total?: number;
}

export interface JsonMessage {
  status?: string;
  id?: string;
  progressDetail?: ProgressDetail;
  progress?: string;
  stream?: string;
  aux?: unknown;
  errorDetail?: { code?: number; message: string };
  error?: string;
}

export class MessageStream {
  private readonly out: Writable;

  constructor(res: ApiResponse) {
    this.out = res.stream('application/json');
  }

  write(msg: JsonMessage): void {
    if (!this.out.writableEnded) this.out.write(JSON.stringify(msg) + '\r\n');
  }

  status(status: string, id?: string): void {
    this.write(id === undefined ? { status } : { status, progressDetail: {}, id });
  }

  text(stream: string): void {
    this.write({ stream });
  }

  aux(aux: unknown): void {
    this.write({ progressDetail: {}, aux });
  }

  fail(e: unknown, code?: number): void {
    const message = toBerthError(e).message;
    this.write({ errorDetail: code === undefined ? { message } : { code, message }, error: message });
  }

  end(): void {
    if (!this.out.writableEnded) this.out.end();
  }
}
