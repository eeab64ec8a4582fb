/**
 * Authentication: htpasswd (Basic), Docker token auth with the exact challenges distribution
 * sends, insufficient_scope, token trust (x5c chains, kid, wrong keys, expiry), and the token
 * server (users file rules, anonymous pull, subsets, the OAuth2 password grant).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import bcrypt from 'bcryptjs';
import { startTokenServer } from '../../src/registry/auth/token-server.js';
import { covers, parseScope } from '../../src/registry/auth/scope.js';
import { tempDir } from '../helpers/tmp.js';
import { makeHtpasswd, makeIssuedSigningKey, makePki, makeSigningKey } from './certs.js';
import { errorCodes, request, sha256, startTestRegistry, writeJson, type Ctx } from './helpers.js';

const SERVICE = 'berth-test';
const ISSUER = 'berth-test-issuer';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function tokenSetup(t: Ctx, kind: 'rsa' | 'ec' = 'ec') {
  const dir = await tempDir(t);
  const signing = makeSigningKey(dir, 'token', kind);
  const users = join(dir, 'users.json');
  await writeJson(users, {
    users: { alice: bcrypt.hashSync('wonderland', 4), bob: bcrypt.hashSync('builder', 4) },
    access: [
      { account: 'alice', repository: 'test/**', actions: ['pull', 'push', 'delete'] },
      { account: 'alice', catalog: true },
      { account: '*', repository: 'shared/*', actions: ['pull'] },
      { anonymous: true, repository: 'public/*', actions: ['pull'] },
    ],
  });
  const ts = await startTokenServer({ addr: '127.0.0.1:0', keyFile: signing.key, certFile: signing.cert, issuer: ISSUER, service: SERVICE, usersFile: users });
  t.after(() => ts.close());
  const realm = `${ts.url}/token`;
  const reg = await startTestRegistry(t, { auth: { kind: 'token', realm, service: SERVICE, issuer: ISSUER, keyFiles: [signing.cert] } });
  const token = async (scope: string[], auth?: string): Promise<string> => {
    const q = new URLSearchParams({ service: SERVICE });
    scope.forEach((s) => q.append('scope', s));
    const r = await request(`${realm}?${q}`, { headers: auth ? { Authorization: auth } : {} });
    assert.equal(r.status, 200, r.text);
    return r.json<{ token: string }>().token;
  };
  return { dir, signing, realm, reg, token, users };
}

describe('registry auth: htpasswd', () => {
  it('challenges with Basic, refuses wrong passwords, and lets valid users push and pull', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'htpasswd');
    makeHtpasswd(file, { alice: 'secret' });
    const reg = await startTestRegistry(t, { auth: { kind: 'htpasswd', file, realm: 'basic-realm' } });
    const anon = await request(`${reg.url}/v2/`);
    assert.equal(anon.status, 401);
    assert.equal(anon.headers['www-authenticate'], 'Basic realm="basic-realm"');
    assert.deepEqual(anon.json(), { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] });
    const wrong = await request(`${reg.url}/v2/`, { headers: { Authorization: basic('alice', 'nope') } });
    assert.equal(wrong.status, 401);
    assert.equal((await request(`${reg.url}/v2/`, { headers: { Authorization: basic('mallory', 'secret') } })).status, 401);
    const ok = { Authorization: basic('alice', 'secret') };
    assert.equal((await request(`${reg.url}/v2/`, { headers: ok })).status, 200);
    const push = await request(`${reg.url}/v2/x/blobs/uploads/?digest=${sha256('hi')}`, { method: 'POST', body: 'hi', headers: ok });
    assert.equal(push.status, 201);
    const pullAnon = await request(`${reg.url}/v2/x/blobs/${sha256('hi')}`);
    assert.equal(pullAnon.status, 401);
    assert.deepEqual(pullAnon.json<{ errors: { detail: unknown }[] }>().errors[0].detail, [{ Type: 'repository', Class: '', Name: 'x', Action: 'pull' }]);
    assert.equal((await request(`${reg.url}/v2/x/blobs/${sha256('hi')}`, { headers: ok })).text, 'hi');
  });
});

describe('registry auth: tokens', () => {
  it('sends the challenges distribution sends, scope by scope', async (t) => {
    const { reg, realm } = await tokenSetup(t);
    const challenge = async (path: string, method = 'GET') => (await request(`${reg.url}${path}`, { method })).headers['www-authenticate'];
    const prefix = `Bearer realm="${realm}",service="${SERVICE}"`;
    assert.equal(await challenge('/v2/'), prefix);
    assert.equal(await challenge('/v2/test/img/manifests/v1'), `${prefix},scope="repository:test/img:pull"`);
    assert.equal(await challenge('/v2/test/img/blobs/uploads/', 'POST'), `${prefix},scope="repository:test/img:pull,push"`);
    assert.equal(
      await challenge(`/v2/test/img/blobs/uploads/?mount=${sha256('x')}&from=test/other`, 'POST'),
      `${prefix},scope="repository:test/img:pull,push repository:test/other:pull"`,
    );
    assert.equal(await challenge(`/v2/test/img/manifests/${sha256('x')}`, 'DELETE'), `${prefix},scope="repository:test/img:delete"`);
    assert.equal(await challenge('/v2/_catalog'), `${prefix},scope="registry:catalog:*"`);
    const body = await request(`${reg.url}/v2/test/img/manifests/v1`);
    assert.deepEqual(body.json(), { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: [{ Type: 'repository', Class: '', Name: 'test/img', Action: 'pull' }] }] });
  });

  it('lets a user with a token push and pull, and answers insufficient_scope for missing actions', async (t) => {
    const { reg, realm, token } = await tokenSetup(t);
    const alice = basic('alice', 'wonderland');
    const push = await token(['repository:test/img:pull,push'], alice);
    const bearer = { Authorization: `Bearer ${push}` };
    assert.equal((await request(`${reg.url}/v2/`, { headers: bearer })).status, 200);
    const up = await request(`${reg.url}/v2/test/img/blobs/uploads/?digest=${sha256('layer')}`, { method: 'POST', body: 'layer', headers: bearer });
    assert.equal(up.status, 201);
    assert.equal((await request(`${reg.url}/v2/test/img/blobs/${sha256('layer')}`, { headers: bearer })).text, 'layer');
    // The same token does not cover another repository, nor deletes.
    const other = await request(`${reg.url}/v2/test/other/blobs/${sha256('layer')}`, { headers: bearer });
    assert.equal(other.status, 401);
    assert.equal(other.headers['www-authenticate'], `Bearer realm="${realm}",service="${SERVICE}",scope="repository:test/other:pull",error="insufficient_scope"`);
    const del = await request(`${reg.url}/v2/test/img/blobs/${sha256('layer')}`, { method: 'DELETE', headers: bearer });
    assert.equal(del.status, 401);
    assert.match(String(del.headers['www-authenticate']), /error="insufficient_scope"/);
    const catalogToken = await token(['registry:catalog:*'], alice);
    const cat = await request(`${reg.url}/v2/_catalog`, { headers: { Authorization: `Bearer ${catalogToken}` } });
    assert.deepEqual(cat.json(), { repositories: ['test/img'] });
  });

  it('grants anonymous pull where the rules allow it, and only that', async (t) => {
    const { reg, realm, token } = await tokenSetup(t);
    const alice = basic('alice', 'wonderland');
    // Alice cannot push to public/*: her token comes back without push, which is not an error.
    const pushToken = await token(['repository:public/app:pull,push'], alice);
    assert.deepEqual((decodeJwt(pushToken) as { access: unknown }).access, [{ type: 'repository', name: 'public/app', actions: ['pull'] }]);
    const anon = await token(['repository:public/app:pull,push']);
    assert.deepEqual((decodeJwt(anon) as { access: unknown; sub: string }).access, [{ type: 'repository', name: 'public/app', actions: ['pull'] }]);
    const refused = await request(`${reg.url}/v2/public/app/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${anon}` } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['www-authenticate'], `Bearer realm="${realm}",service="${SERVICE}",scope="repository:public/app:pull,push",error="insufficient_scope"`);
    const pull = await request(`${reg.url}/v2/public/app/tags/list`, { headers: { Authorization: `Bearer ${anon}` } });
    assert.equal(pull.status, 404, 'authorised: the repository simply does not exist');
    assert.deepEqual(errorCodes(pull), ['NAME_UNKNOWN']);
    // Nothing at all for anonymous on private repositories.
    assert.deepEqual((decodeJwt(await token(['repository:test/img:pull'])) as { access: unknown }).access, []);
  });

  it('refuses wrong credentials at the token server, and serves the OAuth2 password grant', async (t) => {
    const { realm } = await tokenSetup(t);
    const bad = await request(`${realm}?service=${SERVICE}&scope=repository:test/img:pull`, { headers: { Authorization: basic('alice', 'wrong') } });
    assert.equal(bad.status, 401);
    const wrongService = await request(`${realm}?service=other&scope=repository:test/img:pull`, { headers: { Authorization: basic('alice', 'wonderland') } });
    assert.equal(wrongService.status, 400);
    const form = new URLSearchParams({ grant_type: 'password', username: 'alice', password: 'wonderland', service: SERVICE, client_id: 'test', scope: 'repository:test/img:pull,push repository:shared/x:pull,push' });
    const r = await request(realm, { method: 'POST', body: form.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(r.status, 200);
    const body = r.json<{ access_token: string; scope: string; expires_in: number }>();
    assert.equal(body.scope, 'repository:test/img:pull,push repository:shared/x:pull');
    assert.ok(body.expires_in >= 60);
    const header = decodeProtectedHeader(body.access_token);
    assert.equal(header.alg, 'ES256');
    assert.ok(Array.isArray(header.x5c) && header.x5c.length === 1);
    const claims = decodeJwt(body.access_token);
    assert.equal(claims.iss, ISSUER);
    assert.equal(claims.aud, SERVICE);
    assert.equal(claims.sub, 'alice');
  });

  it('refuses tokens signed by an untrusted key, for another audience or issuer, or expired, with invalid_token', async (t) => {
    const { reg, realm } = await tokenSetup(t);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const now = Math.floor(Date.now() / 1000);
    const access = [{ type: 'repository', name: 'test/img', actions: ['pull'] }];
    const forged = await new SignJWT({ access }).setProtectedHeader({ alg: 'ES256' }).setIssuer(ISSUER).setAudience(SERVICE).setExpirationTime(now + 300).sign(privateKey);
    for (const bad of [forged, 'not.a.jwt', 'garbage']) {
      const r = await request(`${reg.url}/v2/test/img/tags/list`, { headers: { Authorization: `Bearer ${bad}` } });
      assert.equal(r.status, 401);
      assert.equal(r.headers['www-authenticate'], `Bearer realm="${realm}",service="${SERVICE}",scope="repository:test/img:pull",error="invalid_token"`);
    }
  });

  it('checks audience, issuer and expiry of tokens from a trusted key', async (t) => {
    const dir = await tempDir(t);
    const rsa = makeSigningKey(dir, 'rsa', 'rsa');
    const { createPrivateKey } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const key = createPrivateKey(readFileSync(rsa.key));
    const reg = await startTestRegistry(t, { auth: { kind: 'token', realm: 'http://127.0.0.1:1/token', service: SERVICE, issuer: ISSUER, keyFiles: [rsa.cert] } });
    const now = Math.floor(Date.now() / 1000);
    const access = [{ type: 'repository', name: 'r', actions: ['pull'] }];
    const sign = (iss: string, aud: string, exp: number) => new SignJWT({ access }).setProtectedHeader({ alg: 'RS256' }).setIssuer(iss).setAudience(aud).setExpirationTime(exp).sign(key);
    const status = async (tok: string) => (await request(`${reg.url}/v2/r/tags/list`, { headers: { Authorization: `Bearer ${tok}` } })).status;
    assert.equal(await status(await sign(ISSUER, SERVICE, now + 300)), 404, 'RS256 without kid or x5c, from a trusted certificate');
    assert.equal(await status(await sign('someone-else', SERVICE, now + 300)), 401);
    assert.equal(await status(await sign(ISSUER, 'other-service', now + 300)), 401);
    assert.equal(await status(await sign(ISSUER, SERVICE, now - 3600)), 401);
  });

  it('trusts an x5c certificate issued by a trusted CA, and no other', async (t) => {
    const dir = await tempDir(t);
    const pki = makePki(dir);
    const issued = makeIssuedSigningKey(pki, 'issued');
    const stranger = makeSigningKey(dir, 'stranger', 'ec');
    const users = join(dir, 'users.json');
    await writeJson(users, { users: {}, access: [], anonymousPull: true });
    const good = await startTokenServer({ addr: '127.0.0.1:0', keyFile: issued.key, certFile: issued.cert, issuer: ISSUER, service: SERVICE, usersFile: users });
    t.after(() => good.close());
    const evil = await startTokenServer({ addr: '127.0.0.1:0', keyFile: stranger.key, certFile: stranger.cert, issuer: ISSUER, service: SERVICE, usersFile: users });
    t.after(() => evil.close());
    const reg = await startTestRegistry(t, { auth: { kind: 'token', realm: `${good.url}/token`, service: SERVICE, issuer: ISSUER, keyFiles: [pki.caCert] } });
    const fetchToken = async (url: string) => (await request(`${url}/token?service=${SERVICE}&scope=repository:r:pull`)).json<{ token: string }>().token;
    const ok = await request(`${reg.url}/v2/r/tags/list`, { headers: { Authorization: `Bearer ${await fetchToken(good.url)}` } });
    assert.equal(ok.status, 404);
    const refused = await request(`${reg.url}/v2/r/tags/list`, { headers: { Authorization: `Bearer ${await fetchToken(evil.url)}` } });
    assert.equal(refused.status, 401);
    assert.match(String(refused.headers['www-authenticate']), /error="invalid_token"/);
  });
});

describe('registry auth: scopes', () => {
  it('parses scopes whose names hold a port, and checks coverage action by action', () => {
    assert.deepEqual(parseScope('repository:localhost:5000/a/b:pull,push'), { type: 'repository', name: 'localhost:5000/a/b', actions: ['pull', 'push'] });
    assert.deepEqual(parseScope('repository(plugin):x:pull'), { type: 'repository', name: 'x', actions: ['pull'] });
    assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
    assert.equal(parseScope('nonsense'), undefined);
    assert.equal(parseScope('user:x:pull'), undefined);
    const granted = [{ type: 'repository' as const, name: 'a', actions: ['pull'] }];
    assert.equal(covers(granted, [{ type: 'repository', name: 'a', actions: ['pull'] }]), true);
    assert.equal(covers(granted, [{ type: 'repository', name: 'a', actions: ['pull', 'push'] }]), false);
    assert.equal(covers([{ type: 'repository', name: 'a', actions: ['*'] }], [{ type: 'repository', name: 'a', actions: ['delete'] }]), true);
  });
});
