/**
 * `-u name|uid[:group|gid]` resolved against the image's /etc/passwd and /etc/group with the
 * rules of runc's libcontainer/user (GetExecUser) and moby's getUser: a name must exist, a
 * number need not; without an explicit group the user's primary gid and the groups that list
 * the user as a member apply; additionalGids start with the primary gid.
 */
import { invalid } from '../core/errors.js';
import type { OciUser } from './oci-config.js';

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 2 ** 31 - 1;

function parseId(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= MAX_ID ? n : undefined;
}

function lines(text: string | undefined): string[][] {
  if (text === undefined) return [];
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

export function parsePasswd(text: string | undefined): PasswdEntry[] {
  return lines(text)
    .filter((f) => f.length >= 4)
    .map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]) }))
    .filter((e) => Number.isInteger(e.uid) && Number.isInteger(e.gid));
}

export function parseGroup(text: string | undefined): GroupEntry[] {
  return lines(text)
    .filter((f) => f.length >= 3)
    .map((f) => ({ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter((m) => m.length > 0) }))
    .filter((e) => Number.isInteger(e.gid));
}

function outOfRange(what: string, value: string) {
  return invalid('ERR_USER_RANGE', `${what} ${value} is out of range`);
}

/** Resolve one `--group-add` entry (name or gid) to a gid. */
function groupAddGid(spec: string, groups: GroupEntry[]): number {
  const byName = groups.find((g) => g.name === spec);
  if (byName) return byName.gid;
  const gid = parseId(spec);
  if (gid !== undefined) return gid;
  if (/^\d+$/.test(spec)) throw outOfRange('group', spec);
  throw invalid('ERR_GROUP_NOT_FOUND', `unable to find group ${spec}: no matching entries in group file`);
}

export function resolveUser(spec: string | undefined, passwdText: string | undefined, groupText: string | undefined, groupAdd: readonly string[] = []): OciUser {
  const [userArg = '', groupArg = ''] = (spec ?? '').split(':', 2);
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  let uid = 0;
  let gid = 0;
  let matchedName: string | undefined;

  const uidArg = parseId(userArg);
  const user = userArg === '' ? passwd.find((u) => u.uid === 0) : uidArg !== undefined ? passwd.find((u) => u.uid === uidArg) : passwd.find((u) => u.name === userArg);
  if (user) {
    matchedName = user.name;
    uid = user.uid;
    gid = user.gid;
  } else if (userArg !== '') {
    if (uidArg === undefined) {
      if (/^\d+$/.test(userArg)) throw outOfRange('uid', userArg);
      throw invalid('ERR_USER_NOT_FOUND', `unable to find user ${userArg}: no matching entries in passwd file`);
    }
    uid = uidArg;
  }

  let sgids: number[] = [];
  if (groupArg !== '') {
    const gidArg = parseId(groupArg);
    const group = gidArg !== undefined ? groups.find((g) => g.gid === gidArg) : groups.find((g) => g.name === groupArg);
    if (group) gid = group.gid;
    else if (gidArg !== undefined) gid = gidArg;
    else if (/^\d+$/.test(groupArg)) throw outOfRange('gid', groupArg);
    else throw invalid('ERR_GROUP_NOT_FOUND', `unable to find group ${groupArg}: no matching entries in group file`);
  } else if (matchedName !== undefined) {
    const name = matchedName;
    sgids = groups.filter((g) => g.members.includes(name)).map((g) => g.gid);
  }

  const additionalGids = [gid, ...sgids, ...groupAdd.map((g) => groupAddGid(g, groups))];
  return { uid, gid, additionalGids };
}
