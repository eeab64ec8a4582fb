/**
 * `--change` for import and commit: Dockerfile instructions applied to an image's container
 * config. Only the instructions Docker allows there are accepted (CMD, ENTRYPOINT, ENV, EXPOSE,
 * HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR).
 */
import * as path from 'node:path';
import { invalid } from '../core/errors.js';
import type { ContainerConfig } from './oci.js';

const VALID = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

/** Split words the way the Dockerfile parser does for ENV/LABEL: quotes group, backslash escapes. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw invalid('ERR_CHANGE_INVALID', `unterminated quote in: ${text}`);
  if (inWord) words.push(cur);
  return words;
}

/** `["a","b"]` (JSON form) or shell form wrapped in `/bin/sh -c`. */
function commandArgs(rest: string, shell: string[]): string[] {
  const trimmed = rest.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed as string[];
    } catch {
      // not JSON: Docker falls back to the shell form
    }
  }
  return [...shell, trimmed];
}

/** `k=v k2="v 2"` pairs, or the legacy single `k v` form. */
function keyValues(instruction: string, rest: string): Array<[string, string]> {
  const words = splitWords(rest);
  if (words.length === 0) throw invalid('ERR_CHANGE_INVALID', `${instruction} requires at least one argument`);
  if (!words[0].includes('=')) {
    const m = /^\s*(\S+)\s+(.*)$/s.exec(rest);
    if (!m) throw invalid('ERR_CHANGE_INVALID', `${instruction} requires at least one argument`);
    return [[m[1], splitWords(m[2]).join(' ')]];
  }
  return words.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw invalid('ERR_CHANGE_INVALID', `${instruction} names can not be blank`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

export function applyChanges(base: ContainerConfig, changes: string[]): ContainerConfig {
  const cfg: ContainerConfig = { ...base };
  const shell = cfg.Shell && cfg.Shell.length ? cfg.Shell : ['/bin/sh', '-c'];
  for (const change of changes) {
    const line = change.trim();
    if (line === '') continue;
    const m = /^(\S+)\s*(.*)$/s.exec(line);
    if (!m) continue;
    const instruction = m[1].toUpperCase();
    const rest = m[2];
    if (!VALID.includes(instruction)) throw invalid('ERR_CHANGE_INVALID', `${m[1].toLowerCase()} is not a valid change command`);
    switch (instruction) {
      case 'CMD':
        cfg.Cmd = commandArgs(rest, shell);
        break;
      case 'ENTRYPOINT':
        cfg.Entrypoint = rest.trim() === '' ? null : commandArgs(rest, shell);
        break;
      case 'ENV': {
        const env = [...(cfg.Env ?? [])];
        for (const [k, v] of keyValues('ENV', rest)) {
          const i = env.findIndex((e) => e.split('=')[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        cfg.Env = env;
        break;
      }
      case 'LABEL': {
        const labels = { ...(cfg.Labels ?? {}) };
        for (const [k, v] of keyValues('LABEL', rest)) labels[k] = v;
        cfg.Labels = labels;
        break;
      }
      case 'EXPOSE': {
        const ports = { ...(cfg.ExposedPorts ?? {}) };
        for (const p of splitWords(rest)) {
          if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw invalid('ERR_CHANGE_INVALID', `Invalid containerPort: ${p}`);
          ports[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
        }
        cfg.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const vols = { ...(cfg.Volumes ?? {}) };
        const trimmed = rest.trim();
        const list = trimmed.startsWith('[') ? commandArgs(trimmed, []) : splitWords(trimmed);
        for (const v of list) vols[v] = {};
        cfg.Volumes = vols;
        break;
      }
      case 'USER':
        cfg.User = rest.trim();
        break;
      case 'WORKDIR': {
        const dir = rest.trim();
        cfg.WorkingDir = path.posix.isAbsolute(dir) ? path.posix.normalize(dir) : path.posix.join(cfg.WorkingDir || '/', dir);
        break;
      }
      case 'STOPSIGNAL':
        cfg.StopSignal = rest.trim();
        break;
      case 'ONBUILD':
        cfg.OnBuild = [...(cfg.OnBuild ?? []), rest.trim()];
        break;
      case 'HEALTHCHECK': {
        const trimmed = rest.trim();
        if (/^NONE$/i.test(trimmed)) cfg.Healthcheck = { Test: ['NONE'] };
        else {
          const cm = /^CMD\s+(.*)$/is.exec(trimmed);
          if (!cm) throw invalid('ERR_CHANGE_INVALID', 'HEALTHCHECK requires CMD or NONE');
          const args = commandArgs(cm[1], []);
          cfg.Healthcheck = { Test: cm[1].trim().startsWith('[') ? ['CMD', ...args] : ['CMD-SHELL', cm[1].trim()] };
        }
        break;
      }
    }
  }
  return cfg;
}
