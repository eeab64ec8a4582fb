/**
 * The exec-root layout of the runtime domain:
 *   <exec-root>/runtime/<runc|crun>/          the OCI runtime's state (--root)
 *   <exec-root>/exits/<id>                    conmon's exit file per container (watched)
 *   <exec-root>/containers/<id>/              the bundle: config.json, pidfile, conmon.pid,
 *                                             attach, ctl, winsz, exit, oom, oci-log
 *   <exec-root>/containers/<id>/exec/<eid>/   one exec: process.json, pidfile, conmon.pid,
 *                                             attach, ctl, winsz, exit, exec.log, oci-log
 */
import * as path from 'node:path';
import { invalid } from '../core/errors.js';
import type { ContainerPaths } from './contract.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function checkId(id: string, what = 'container'): string {
  if (!ID.test(id)) throw invalid('ERR_INVALID_ID', `invalid ${what} ID: ${JSON.stringify(id)}`);
  return id;
}

export function exitsDir(execRoot: string): string {
  return path.join(execRoot, 'exits');
}

export function containerPaths(execRoot: string, id: string): ContainerPaths {
  const bundle = path.join(execRoot, 'containers', checkId(id));
  return {
    bundle,
    config: path.join(bundle, 'config.json'),
    attach: path.join(bundle, 'attach'),
    ctl: path.join(bundle, 'ctl'),
    pidFile: path.join(bundle, 'pidfile'),
    conmonPidFile: path.join(bundle, 'conmon.pid'),
    exitFile: path.join(bundle, 'exit'),
    oomFile: path.join(bundle, 'oom'),
    runtimeLog: path.join(bundle, 'oci-log'),
    exitDirFile: path.join(exitsDir(execRoot), id),
  };
}

export interface ExecPaths {
  dir: string;
  processSpec: string;
  attach: string;
  ctl: string;
  pidFile: string;
  conmonPidFile: string;
  exitFile: string;
  log: string;
  runtimeLog: string;
}

export function execPaths(execRoot: string, id: string, execId: string): ExecPaths {
  const dir = path.join(containerPaths(execRoot, id).bundle, 'exec', checkId(execId, 'exec'));
  return {
    dir,
    processSpec: path.join(dir, 'process.json'),
    attach: path.join(dir, 'attach'),
    ctl: path.join(dir, 'ctl'),
    pidFile: path.join(dir, 'pidfile'),
    conmonPidFile: path.join(dir, 'conmon.pid'),
    exitFile: path.join(dir, 'exit'),
    log: path.join(dir, 'exec.log'),
    runtimeLog: path.join(dir, 'oci-log'),
  };
}
