/**
 * Name rules for layer entries (runtime.md 4.2 rule 4): names are cleaned, a leading `/` or
 * `./` is stripped (absolute names are clamped into the root, as GNU tar and Docker do), and
 * anything that still climbs out (`..`, `../x`, `a/../../x`) is refused.
 */
import { posix } from 'node:path';
import { invalid } from '../core/errors.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
/** How overlayfs marks a directory that hides the lower ones. */
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

/** Clean an archive name into a root-relative path ('' is the root itself). */
export function cleanName(name: string, what = 'name'): string {
  if (name.length === 0) throw invalid('ERR_LAYER_BAD_NAME', `tar entry with an empty ${what}`);
  let start = 0;
  while (start < name.length && name.charCodeAt(start) === 0x2f) start++;
  const stripped = name.slice(start);
  if (stripped === '' || stripped === '.' || stripped === './') return '';
  let clean = fastClean(stripped) ?? posix.normalize(stripped);
  if (clean.endsWith('/')) clean = clean.slice(0, -1);
  if (clean === '.') return '';
  if (clean === '..' || clean.startsWith('../')) {
    throw invalid('ERR_LAYER_PATH_ESCAPE', `tar entry ${what} "${name}" points outside the layer`, {
      hint: 'the archive is hostile or broken: names must stay inside the layer root',
    });
  }
  return clean;
}

/**
 * Most names are already clean (`usr/lib/x`, `./usr/lib/x`, `usr/lib/`); skip normalize for
 * them. Returns undefined when the slow path must decide.
 */
function fastClean(name: string): string | undefined {
  const s = name.startsWith('./') ? name.slice(2) : name;
  if (s.startsWith('/') || s.includes('//') || s.includes('/./') || s.includes('/..') || s.endsWith('/.')) return undefined;
  if (s === '.' || s === '..' || s.startsWith('./') || s.startsWith('../')) return undefined;
  return s;
}

export function baseName(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? rel : rel.slice(i + 1);
}

export function dirName(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

export function joinRel(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** Depth in components ('' is 0). */
export function depthOf(rel: string): number {
  if (rel === '') return 0;
  let n = 1;
  for (let i = 0; i < rel.length; i++) if (rel.charCodeAt(i) === 0x2f) n++;
  return n;
}

/**
 * Where a symlink found at `linkDir/<link>` leads, resolved inside the root: absolute targets
 * start at the root, `..` stops at the root (containerd's RootPath semantics).
 */
export function symlinkTargetInRoot(linkDir: string, target: string): string {
  const joined = target.startsWith('/') ? target : `/${linkDir}/${target}`;
  const norm = posix.normalize(joined);
  const rel = norm.replace(/^\/+/, '').replace(/\/+$/, '');
  return rel === '.' ? '' : rel;
}
