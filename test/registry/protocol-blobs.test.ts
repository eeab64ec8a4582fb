/**
 * The distribution protocol, blob side: pulls with Range, every upload form and its error
 * cases, mounts, sha512, deletes, and upload sessions that outlive the server and the client.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { errorCodes, pushBlob, request, sha256, sha512, startTestRegistry, patternStream } from './helpers.js';

const EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('registry protocol: base and blob pulls', () => {
  it('answers /v2/ with 200 {} and the API version header', async (t) => {
    const reg = await startTestRegistry(t);
    const r = await request(`${reg.url}/v2/`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), {});
    assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
  });

  it('serves a pushed blob by GET and HEAD with its digest, length and ETag', async (t) => {
    const reg = await startTestRegistry(t);
    const data = Buffer.from('hello registry');
    const post = await request(`${reg.url}/v2/a/b/blobs/uploads/?digest=${sha256(data)}`, { method: 'POST', body: data });
    assert.equal(post.status, 201);
    assert.equal(post.headers.location, `/v2/a/b/blobs/${sha256(data)}`);
    assert.equal(post.headers['docker-content-digest'], sha256(data));
    const get = await request(`${reg.url}/v2/a/b/blobs/${sha256(data)}`);
    assert.equal(get.status, 200);
    assert.deepEqual(get.body, data);
    assert.equal(get.headers['content-type'], 'application/octet-stream');
    const head = await request(`${reg.url}/v2/a/b/blobs/${sha256(data)}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(data.length));
    assert.equal(head.headers['docker-content-digest'], sha256(data));
    assert.equal(head.headers.etag, `"${sha256(data)}"`);
    assert.equal(head.body.length, 0);
    const cached = await request(`${reg.url}/v2/a/b/blobs/${sha256(data)}`, { headers: { 'If-None-Match': `"${sha256(data)}"` } });
    assert.equal(cached.status, 304);
  });

  it('answers BLOB_UNKNOWN for a blob the repository does not have, even when another has it', async (t) => {
    const reg = await startTestRegistry(t);
    const d = await pushBlob(reg.url, 'owner', 'private bytes');
    const r = await request(`${reg.url}/v2/other/blobs/${d}`);
    assert.equal(r.status, 404);
    assert.deepEqual(errorCodes(r), ['BLOB_UNKNOWN']);
    const head = await request(`${reg.url}/v2/other/blobs/${d}`, { method: 'HEAD' });
    assert.equal(head.status, 404);
    assert.ok(Number(head.headers['content-length']) > 0, 'a HEAD miss announces the length of the JSON error');
  });

  it('rejects malformed digests and names with 400 JSON errors, never 500', async (t) => {
    const reg = await startTestRegistry(t);
    for (const bad of ['sha256:totallywrong', 'sha256:baddigeststring', 'md5:abc', 'sha256:' + 'A'.repeat(64)]) {
      const r = await request(`${reg.url}/v2/repo/blobs/${bad}`);
      assert.equal(r.status, 400, bad);
      assert.deepEqual(errorCodes(r), ['DIGEST_INVALID']);
    }
    for (const name of ['Bad_Name', '..', 'a/../b', '%2e%2e/x', 'a//b', '_blobs', 'x/_tags', 'a'.repeat(256)]) {
      const r = await request(`${reg.url}/v2/${name}/blobs/${EMPTY}`);
      assert.equal(r.status, 400, name);
      assert.deepEqual(errorCodes(r), ['NAME_INVALID'], name);
    }
  });

  it('serves byte ranges with 206 and answers unsatisfiable ones with a correct 416', async (t) => {
    const reg = await startTestRegistry(t);
    const data = Buffer.alloc(2048);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    const d = await pushBlob(reg.url, 'r', data);
    const cases: [string, number, number][] = [
      ['bytes=500-1499', 500, 1499],
      ['bytes=500-', 500, 2047],
      ['bytes=-500', 1548, 2047],
      ['bytes=2000-5000', 2000, 2047],
    ];
    for (const [range, start, end] of cases) {
      const r = await request(`${reg.url}/v2/r/blobs/${d}`, { headers: { Range: range } });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers['content-range'], `bytes ${start}-${end}/2048`);
      assert.equal(r.headers['content-length'], String(end - start + 1));
      assert.deepEqual(r.body, data.subarray(start, end + 1));
    }
    for (const range of ['bytes=500-0', 'bytes=5000-10000', 'bytes=2048-']) {
      const r = await request(`${reg.url}/v2/r/blobs/${d}`, { headers: { Range: range } });
      assert.equal(r.status, 416, range);
      assert.equal(r.headers['content-range'], 'bytes */2048');
      assert.equal(Number(r.headers['content-length']), r.body.length, 'Content-Length matches the body actually sent');
    }
  });
});

describe('registry protocol: large downloads (sendfile)', () => {
  /** GET through one keep-alive connection, so each answer must end exactly where its body does. */
  function getOn(agent: http.Agent, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      http
        .get(url, { agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
        })
        .on('error', reject);
    });
  }

  it('serves large blobs and ranges of them, one after another on one connection and several at once', async (t) => {
    const reg = await startTestRegistry(t);
    const blobs = await Promise.all([3, 5, 8].map(async (mb, i) => {
      const data = Buffer.alloc(mb << 20);
      for (let j = 0; j < data.length; j += 4096) data.writeUInt32LE(j ^ (i * 7919), j);
      return { data, digest: await pushBlob(reg.url, 'big', data) };
    }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    t.after(() => agent.destroy());
    for (const { data, digest } of blobs) {
      const full = await getOn(agent, `${reg.url}/v2/big/blobs/${digest}`);
      assert.equal(full.status, 200);
      assert.equal(sha256(full.body), digest);
      const part = await getOn(agent, `${reg.url}/v2/big/blobs/${digest}`, { Range: 'bytes=1000-2098151' });
      assert.equal(part.status, 206);
      assert.equal(part.headers['content-range'], `bytes 1000-2098151/${data.length}`);
      assert.deepEqual(part.body, data.subarray(1000, 2098152));
      // A small answer right after, on the same connection.
      assert.equal((await getOn(agent, `${reg.url}/v2/`)).status, 200);
    }
    const parallel = await Promise.all([...blobs, ...blobs].map(({ digest }) => request(`${reg.url}/v2/big/blobs/${digest}`)));
    parallel.forEach((r, i) => assert.equal(sha256(r.body), blobs[i % blobs.length].digest));
    const sent = Number(/^berth_registry_http_sent_bytes_total (\d+)$/m.exec((await request(`${reg.url}/metrics`)).text)?.[1]);
    assert.ok(sent >= 3 * (16 << 20), `bytes sent by the kernel are counted (${sent})`);
  });
});

describe('registry protocol: uploads', () => {
  it('completes a POST then PUT upload with the whole body in the PUT', async (t) => {
    const reg = await startTestRegistry(t);
    const data = Buffer.from('monolithic');
    const post = await request(`${reg.url}/v2/m/blobs/uploads/`, { method: 'POST', headers: { 'Content-Length': 0 } });
    assert.equal(post.status, 202);
    assert.match(String(post.headers.location), /^\/v2\/m\/blobs\/uploads\/[0-9a-f-]{36}$/);
    assert.equal(post.headers.range, '0-0');
    assert.equal(post.headers['oci-chunk-min-length'], String(1 << 20));
    assert.equal(post.headers['docker-upload-uuid'], String(post.headers.location).split('/').pop());
    const put = await request(`${reg.url}${post.headers.location}?digest=${sha256(data)}`, { method: 'PUT', body: data, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(put.status, 201);
    assert.equal(put.headers.location, `/v2/m/blobs/${sha256(data)}`);
    assert.deepEqual((await request(`${reg.url}/v2/m/blobs/${sha256(data)}`)).body, data);
  });

  it('applies chunks in order, refuses duplicates and gaps with 416, and keeps the first Location valid', async (t) => {
    const reg = await startTestRegistry(t);
    const data = Buffer.from('0123456789abcdef');
    const post = await request(`${reg.url}/v2/c/blobs/uploads/`, { method: 'POST' });
    const first = `${reg.url}${post.headers.location}`;
    const patch = (start: number, end: number, url = first) =>
      request(url, { method: 'PATCH', body: data.subarray(start, end + 1), headers: { 'Content-Range': `${start}-${end}`, 'Content-Type': 'application/octet-stream' } });

    const p1 = await patch(0, 4);
    assert.equal(p1.status, 202);
    assert.equal(p1.headers.range, '0-4');
    const dup = await patch(0, 4);
    assert.equal(dup.status, 416, 'the same chunk again');
    assert.equal(dup.headers.range, '0-4');
    assert.equal(dup.headers.location, post.headers.location);
    const gap = await patch(7, 9);
    assert.equal(gap.status, 416, 'a chunk after a gap');
    const status = await request(first);
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, '0-4');
    assert.equal(status.headers.location, post.headers.location);
    assert.equal((await patch(5, 9, `${reg.url}${p1.headers.location}`)).headers.range, '0-9');
    // The last chunk comes with the PUT.
    const put = await request(`${first}?digest=${sha256(data)}`, { method: 'PUT', body: data.subarray(10), headers: { 'Content-Range': '10-15' } });
    assert.equal(put.status, 201);
    assert.deepEqual((await request(`${reg.url}/v2/c/blobs/${sha256(data)}`)).body, data);
  });

  it('streams a PATCH without Content-Range (chunked transfer encoding) at the end of the upload', async (t) => {
    const reg = await startTestRegistry(t);
    const size = 3 * (1 << 20) + 17;
    const post = await request(`${reg.url}/v2/s/blobs/uploads/`, { method: 'POST' });
    const p = await request(`${reg.url}${post.headers.location}`, { method: 'PATCH', body: patternStream(size, 3) });
    assert.equal(p.status, 202);
    assert.equal(p.headers.range, `0-${size - 1}`);
    const expected = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      patternStream(size, 3)
        .on('data', (c: Buffer) => chunks.push(c))
        .on('end', () => resolve(Buffer.concat(chunks)));
    });
    const put = await request(`${reg.url}${post.headers.location}?digest=${sha256(expected)}`, { method: 'PUT' });
    assert.equal(put.status, 201);
    assert.equal((await request(`${reg.url}/v2/s/blobs/${sha256(expected)}`, { method: 'HEAD' })).headers['content-length'], String(size));
  });

  it('refuses a body that does not match its digest and leaves nothing visible', async (t) => {
    const reg = await startTestRegistry(t);
    const claimed = sha256('what the client says');
    const single = await request(`${reg.url}/v2/d/blobs/uploads/?digest=${claimed}`, { method: 'POST', body: 'something else' });
    assert.equal(single.status, 400);
    assert.deepEqual(errorCodes(single), ['DIGEST_INVALID']);
    const post = await request(`${reg.url}/v2/d/blobs/uploads/`, { method: 'POST' });
    const put = await request(`${reg.url}${post.headers.location}?digest=${claimed}`, { method: 'PUT', body: 'something else' });
    assert.equal(put.status, 400);
    assert.deepEqual(errorCodes(put), ['DIGEST_INVALID']);
    assert.equal((await request(`${reg.url}${post.headers.location}`)).status, 404, 'the session is dropped');
    assert.equal((await request(`${reg.url}/v2/d/blobs/${claimed}`)).status, 404);
    assert.equal((await request(`${reg.url}/v2/d/blobs/${sha256('something else')}`)).status, 404);
    const bad = await request(`${reg.url}/v2/d/blobs/uploads/?digest=sha256:nothex`, { method: 'POST', body: 'x' });
    assert.equal(bad.status, 400);
  });

  it('refuses a chunk whose length disagrees with its Content-Range', async (t) => {
    const reg = await startTestRegistry(t);
    const post = await request(`${reg.url}/v2/z/blobs/uploads/`, { method: 'POST' });
    const r = await request(`${reg.url}${post.headers.location}`, { method: 'PATCH', body: 'abc', headers: { 'Content-Range': '0-9' } });
    assert.equal(r.status, 400);
    assert.deepEqual(errorCodes(r), ['SIZE_INVALID']);
    const malformed = await request(`${reg.url}${post.headers.location}`, { method: 'PATCH', body: 'abc', headers: { 'Content-Range': 'nonsense' } });
    assert.equal(malformed.status, 416);
    assert.equal((await request(`${reg.url}${post.headers.location}`)).headers.range, '0-0', 'nothing was written');
  });

  it('cancels an upload with DELETE and then knows it no more', async (t) => {
    const reg = await startTestRegistry(t);
    const post = await request(`${reg.url}/v2/x/blobs/uploads/`, { method: 'POST' });
    await request(`${reg.url}${post.headers.location}`, { method: 'PATCH', body: 'partial' });
    assert.equal((await request(`${reg.url}${post.headers.location}`, { method: 'DELETE' })).status, 204);
    const after = await request(`${reg.url}${post.headers.location}`);
    assert.equal(after.status, 404);
    assert.deepEqual(errorCodes(after), ['BLOB_UPLOAD_UNKNOWN']);
    assert.equal((await request(`${reg.url}${post.headers.location}`, { method: 'DELETE' })).status, 404);
  });

  it('answers BLOB_UPLOAD_UNKNOWN for unknown, malformed and other repositories\' sessions', async (t) => {
    const reg = await startTestRegistry(t);
    const post = await request(`${reg.url}/v2/mine/blobs/uploads/`, { method: 'POST' });
    const id = String(post.headers.location).split('/').pop();
    for (const url of [`/v2/mine/blobs/uploads/00000000-0000-4000-8000-000000000000`, `/v2/mine/blobs/uploads/..%2f..%2fetc`, `/v2/theirs/blobs/uploads/${id}`]) {
      const r = await request(`${reg.url}${url}`, { method: 'PATCH', body: 'x' });
      assert.equal(r.status, 404, url);
      assert.deepEqual(errorCodes(r), ['BLOB_UPLOAD_UNKNOWN']);
    }
  });

  it('accepts the empty blob', async (t) => {
    const reg = await startTestRegistry(t);
    const r = await request(`${reg.url}/v2/e/blobs/uploads/?digest=${EMPTY}`, { method: 'POST' });
    assert.equal(r.status, 201);
    const get = await request(`${reg.url}/v2/e/blobs/${EMPTY}`);
    assert.equal(get.status, 200);
    assert.equal(get.body.length, 0);
  });

  it('mounts a blob from another repository (201), and falls back to an upload session (202)', async (t) => {
    const reg = await startTestRegistry(t);
    const d = await pushBlob(reg.url, 'src/repo', 'shared layer');
    const mount = await request(`${reg.url}/v2/dst/repo/blobs/uploads/?mount=${d}&from=src/repo`, { method: 'POST' });
    assert.equal(mount.status, 201);
    assert.equal(mount.headers.location, `/v2/dst/repo/blobs/${d}`);
    assert.equal(mount.headers['docker-content-digest'], d);
    assert.equal((await request(`${reg.url}/v2/dst/repo/blobs/${d}`)).text, 'shared layer');
    const missing = await request(`${reg.url}/v2/dst/repo/blobs/uploads/?mount=${sha256('nope')}&from=src/repo`, { method: 'POST' });
    assert.equal(missing.status, 202);
    assert.match(String(missing.headers.location), /^\/v2\/dst\/repo\/blobs\/uploads\//);
    const noFrom = await request(`${reg.url}/v2/third/blobs/uploads/?mount=${d}`, { method: 'POST' });
    assert.equal(noFrom.status, 202, 'no automatic discovery without from');
  });

  it('does sha512 end to end: digest-algorithm, uploads, mounts and Docker-Content-Digest', async (t) => {
    const reg = await startTestRegistry(t);
    const data = Buffer.from('sha512 content');
    const post = await request(`${reg.url}/v2/h/blobs/uploads/?digest-algorithm=sha512`, { method: 'POST' });
    assert.equal(post.status, 202);
    await request(`${reg.url}${post.headers.location}`, { method: 'PATCH', body: data, headers: { 'Content-Range': `0-${data.length - 1}` } });
    const put = await request(`${reg.url}${post.headers.location}?digest=${sha512(data)}`, { method: 'PUT' });
    assert.equal(put.status, 201);
    assert.equal(put.headers['docker-content-digest'], sha512(data));
    const head = await request(`${reg.url}/v2/h/blobs/${sha512(data)}`, { method: 'HEAD' });
    assert.equal(head.headers['docker-content-digest'], sha512(data));
    const single = await request(`${reg.url}/v2/h/blobs/uploads/?digest=${sha512('one post')}`, { method: 'POST', body: 'one post' });
    assert.equal(single.status, 201);
    const mount = await request(`${reg.url}/v2/h2/blobs/uploads/?mount=${sha512(data)}&from=h`, { method: 'POST' });
    assert.equal(mount.status, 201);
    assert.equal(mount.headers['docker-content-digest'], sha512(data));
    // A session hashing sha256 still completes with a sha512 digest (the bytes are re-read).
    const other = await request(`${reg.url}/v2/h/blobs/uploads/`, { method: 'POST', body: 'x', headers: { 'Content-Length': 1 } });
    assert.equal((await request(`${reg.url}${other.headers.location}?digest=${sha512('x')}`, { method: 'PUT' })).status, 201);
    const bad = await request(`${reg.url}/v2/h/blobs/uploads/?digest-algorithm=md5`, { method: 'POST' });
    assert.equal(bad.status, 400);
  });

  it('deletes a blob from a repository: the next GET is 404', async (t) => {
    const reg = await startTestRegistry(t);
    const d = await pushBlob(reg.url, 'del', 'doomed');
    assert.equal((await request(`${reg.url}/v2/del/blobs/${d}`, { method: 'DELETE' })).status, 202);
    assert.equal((await request(`${reg.url}/v2/del/blobs/${d}`)).status, 404);
    assert.equal((await request(`${reg.url}/v2/del/blobs/${d}`, { method: 'DELETE' })).status, 404);
  });

  it('keeps an upload session across a restart of the registry', async (t) => {
    const first = await startTestRegistry(t);
    const data = Buffer.from('survives a restart of the server');
    const post = await request(`${first.url}/v2/r/blobs/uploads/`, { method: 'POST' });
    await request(`${first.url}${post.headers.location}`, { method: 'PATCH', body: data.subarray(0, 10), headers: { 'Content-Range': '0-9' } });
    await first.close();
    const second = await startTestRegistry(t, { root: first.root });
    const status = await request(`${second.url}${post.headers.location}`);
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, '0-9');
    await request(`${second.url}${post.headers.location}`, { method: 'PATCH', body: data.subarray(10), headers: { 'Content-Range': `10-${data.length - 1}` } });
    const put = await request(`${second.url}${post.headers.location}?digest=${sha256(data)}`, { method: 'PUT' });
    assert.equal(put.status, 201);
    assert.deepEqual((await request(`${second.url}/v2/r/blobs/${sha256(data)}`)).body, data);
  });

  it('rolls a chunk back when its client disconnects half-way, so the upload can resume', async (t) => {
    const reg = await startTestRegistry(t);
    const post = await request(`${reg.url}/v2/cut/blobs/uploads/`, { method: 'POST' });
    const url = new URL(`${reg.url}${post.headers.location}`);
    await request(url.href, { method: 'PATCH', body: 'first-', headers: { 'Content-Range': '0-5' } });
    // Announce a megabyte, send a little, then drop the connection.
    await new Promise<void>((resolve) => {
      const req = http.request(url, { method: 'PATCH', headers: { 'Content-Length': 1 << 20, 'Content-Range': `6-${6 + (1 << 20) - 1}` } });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(1000, 1), () => setTimeout(() => req.destroy(), 50));
      req.on('close', () => resolve());
    });
    // The server notices the disconnect asynchronously; the session settles back to 6 bytes.
    let range = '';
    for (let i = 0; i < 500 && range !== '0-5'; i++) {
      range = String((await request(url.href)).headers.range);
      if (range !== '0-5') await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(range, '0-5');
    const rest = Buffer.from('second');
    await request(url.href, { method: 'PATCH', body: rest, headers: { 'Content-Range': '6-11' } });
    const put = await request(`${url.href}?digest=${sha256('first-second')}`, { method: 'PUT' });
    assert.equal(put.status, 201);
  });

  it('answers 405 for a method an endpoint does not have', async (t) => {
    const reg = await startTestRegistry(t);
    const r = await request(`${reg.url}/v2/x/tags/list`, { method: 'POST' });
    assert.equal(r.status, 405);
    assert.deepEqual(errorCodes(r), ['UNSUPPORTED']);
    const unknown = await request(`${reg.url}/v3/whatever`);
    assert.equal(unknown.status, 404);
    assert.ok(unknown.json());
  });

  it('streams a request body given as a stream into a single-POST upload', async (t) => {
    const reg = await startTestRegistry(t);
    const data = Buffer.alloc(256 * 1024, 9);
    const r = await request(`${reg.url}/v2/st/blobs/uploads/?digest=${sha256(data)}`, { method: 'POST', body: Readable.from([data.subarray(0, 1000), data.subarray(1000)]) });
    assert.equal(r.status, 201);
  });
});
