/**
 * Docker's seccomp profile format → OCI linux.seccomp, with moby's setupSeccomp rules: keep the
 * native architecture and its sub-architectures from archMap, then drop every syscall group whose
 * includes/excludes (arches, capabilities of the final bounding set, minimum kernel) rule it out.
 * The default profile is moby's (a byte-exact copy in seccomp-default.json); a custom profile
 * (`--security-opt seccomp=<JSON>`, the CLI sends the file's content) goes through the same steps.
 */
import { readFileSync } from 'node:fs';
import { arch as nodeArch, endianness } from 'node:os';
import { fileURLToPath } from 'node:url';
import { nullish, opt, problem, req, type Shape } from '../core/shape.js';
import { invalid } from '../core/errors.js';
import type { OciSeccomp, OciSeccompSyscall } from './oci-config.js';

interface SeccompFilter {
  caps?: string[] | null;
  arches?: string[] | null;
  minKernel?: string | null;
}

export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number | null;
  architectures?: string[] | null;
  archMap?: Array<{ architecture: string; subArchitectures?: string[] | null }> | null;
  listenerPath?: string;
  listenerMetadata?: string;
  flags?: string[] | null;
  syscalls?: Array<{
    name?: string;
    names?: string[] | null;
    action: string;
    errnoRet?: number | null;
    args?: Array<{ index: number; value: number; valueTwo?: number; op: string }> | null;
    comment?: string;
    includes?: SeccompFilter | null;
    excludes?: SeccompFilter | null;
  }> | null;
}

const FILTER: Shape = { object: { caps: nullish({ array: 'string' }), arches: nullish({ array: 'string' }), minKernel: nullish('string') } };
const PROFILE: Shape = {
  object: {
    defaultAction: req('string'),
    defaultErrnoRet: nullish('int'),
    architectures: nullish({ array: 'string' }),
    archMap: nullish({ array: { object: { architecture: req('string'), subArchitectures: nullish({ array: 'string' }) } } }),
    listenerPath: opt('string'),
    listenerMetadata: opt('string'),
    flags: nullish({ array: 'string' }),
    syscalls: nullish({
      array: {
        object: {
          name: opt('string'),
          names: nullish({ array: 'string' }),
          action: req('string'),
          errnoRet: nullish('int'),
          args: nullish({ array: { object: { index: req('int'), value: req('number'), valueTwo: opt('number'), op: req('string') } } }),
          comment: opt('string'),
          includes: nullish(FILTER),
          excludes: nullish(FILTER),
        },
      },
    }),
  },
};

/** moby's nativeToSeccomp. */
const SECCOMP_ARCH: Record<string, string> = {
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  x32: 'SCMP_ARCH_X32',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  mips: 'SCMP_ARCH_MIPS',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel: 'SCMP_ARCH_MIPSEL',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mipsel64n32: 'SCMP_ARCH_MIPSEL64N32',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
  loong64: 'SCMP_ARCH_LOONGARCH64',
};

/** This machine's architecture in moby's (libseccomp's native) spelling. */
export function nativeArch(): string {
  const a = nodeArch();
  switch (a) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return 'x86';
    case 'ppc64':
      return endianness() === 'LE' ? 'ppc64le' : 'ppc64';
    case 'mips64el':
      return 'mipsel64';
    default:
      return a;
  }
}

/** Parse and validate a profile (JSON text or an object). */
export function parseSeccompProfile(source: string | unknown): SeccompProfile {
  let value: unknown = source;
  if (typeof source === 'string') {
    try {
      value = JSON.parse(source);
    } catch (e) {
      throw invalid('ERR_SECCOMP_PROFILE', `decoding seccomp profile failed: ${(e as Error).message}`);
    }
  }
  const bad = problem(value, PROFILE);
  if (bad) throw invalid('ERR_SECCOMP_PROFILE', `decoding seccomp profile failed: ${bad}`);
  const profile = value as SeccompProfile;
  for (const [i, sc] of (profile.syscalls ?? []).entries()) {
    for (const [j, a] of (sc.args ?? []).entries()) {
      if (a.index < 0) throw invalid('ERR_SECCOMP_PROFILE', `decoding seccomp profile failed: syscalls[${i}].args[${j}].index: must not be negative`);
    }
  }
  return profile;
}

let defaultProfile: SeccompProfile | undefined;

/** moby's default profile, read once from the copy next to this module's source. */
export function defaultSeccompProfile(): SeccompProfile {
  if (defaultProfile) return defaultProfile;
  // From src/ (tests via tsx) the JSON sits beside this file; from dist/src/runtime/ it is in the tree's src/.
  const candidates = [new URL('./seccomp-default.json', import.meta.url), new URL('../../../src/runtime/seccomp-default.json', import.meta.url)];
  for (const url of candidates) {
    let text: string;
    try {
      text = readFileSync(fileURLToPath(url), 'utf8');
    } catch {
      continue;
    }
    defaultProfile = parseSeccompProfile(text);
    return defaultProfile;
  }
  throw new Error('seccomp-default.json not found next to the runtime module');
}

/** Compare kernel releases by major.minor (moby kernelGreaterEqualThan). */
export function kernelAtLeast(kernel: string, min: string): boolean {
  const parse = (s: string): [number, number] => {
    const m = /^(\d+)\.(\d+)/.exec(s);
    if (!m) throw invalid('ERR_SECCOMP_PROFILE', `invalid kernel version: ${s}`);
    return [Number(m[1]), Number(m[2])];
  };
  const [ka, kb] = parse(kernel);
  const [ma, mb] = parse(min);
  return ka > ma || (ka === ma && kb >= mb);
}

export interface SeccompContext {
  arch: string;
  kernel: string;
  /** The container's final bounding capability set. */
  bounding: readonly string[];
}

export function convertSeccompProfile(profile: SeccompProfile, ctx: SeccompContext): OciSeccomp {
  if ((profile.architectures?.length ?? 0) > 0 && (profile.archMap?.length ?? 0) > 0) {
    throw invalid('ERR_SECCOMP_PROFILE', "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  const out: OciSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet != null) out.defaultErrnoRet = profile.defaultErrnoRet;
  const architectures = [...(profile.architectures ?? [])];
  const native = SECCOMP_ARCH[ctx.arch];
  for (const entry of profile.archMap ?? []) {
    if (native !== undefined && entry.architecture === native) architectures.push(entry.architecture, ...(entry.subArchitectures ?? []));
  }
  if (architectures.length > 0) out.architectures = architectures;
  if (profile.flags && profile.flags.length > 0) out.flags = profile.flags;
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;

  const syscalls: OciSeccompSyscall[] = [];
  for (const call of profile.syscalls ?? []) {
    if (call.name && call.names && call.names.length > 0) {
      throw invalid('ERR_SECCOMP_PROFILE', "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'");
    }
    if (!applies(call, ctx)) continue;
    const names = call.name ? [call.name] : (call.names ?? []);
    const s: OciSeccompSyscall = { names, action: call.action };
    if (call.errnoRet != null) s.errnoRet = call.errnoRet;
    if (call.args && call.args.length > 0) s.args = call.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op }));
    syscalls.push(s);
  }
  out.syscalls = syscalls;
  return out;
}

function applies(call: NonNullable<SeccompProfile['syscalls']>[number], ctx: SeccompContext): boolean {
  const ex = call.excludes;
  if (ex) {
    if (ex.arches?.includes(ctx.arch)) return false;
    if (ex.caps?.some((c) => ctx.bounding.includes(c))) return false;
    if (ex.minKernel && kernelAtLeast(ctx.kernel, ex.minKernel)) return false;
  }
  const inc = call.includes;
  if (inc) {
    if (inc.arches && inc.arches.length > 0 && !inc.arches.includes(ctx.arch)) return false;
    if (inc.caps?.some((c) => !ctx.bounding.includes(c))) return false;
    if (inc.minKernel && !kernelAtLeast(ctx.kernel, inc.minKernel)) return false;
  }
  return true;
}
