/**
 * The distribution protocol, manifest side: pushes and validation, content negotiation, tags,
 * deletes, tag listing and catalog pagination, the referrers API, and the server's switches.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorCodes, pushBlob, pushManifest, pushSmallImage, request, sha256, sha512, startTestRegistry } from './helpers.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const EMPTY_JSON = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

function artifact(subject: { digest: string; size: number }, artifactType: string, note: string) {
  return {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY_JSON, size: 2 },
    layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY_JSON, size: 2 }],
    subject: { mediaType: OCI_MANIFEST, ...subject },
    annotations: { note },
  };
}

describe('registry protocol: manifests', () => {
  it('stores the exact bytes and serves them by tag and by digest, GET and HEAD', async (t) => {
    const reg = await startTestRegistry(t);
    const img = await pushSmallImage(reg.url, 'lib/img', 'v1');
    for (const ref of ['v1', img.digest]) {
      const get = await request(`${reg.url}/v2/lib/img/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
      assert.equal(get.status, 200);
      assert.deepEqual(get.body, img.manifest);
      assert.equal(get.headers['content-type'], OCI_MANIFEST);
      assert.equal(get.headers['docker-content-digest'], img.digest);
      const head = await request(`${reg.url}/v2/lib/img/manifests/${ref}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(img.manifest.length));
      assert.equal(head.headers['docker-content-digest'], img.digest);
      assert.equal(head.body.length, 0);
    }
    const missing = await request(`${reg.url}/v2/lib/img/manifests/nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'nope' } }] });
  });

  it('answers the PUT with Location and Docker-Content-Digest, and is idempotent', async (t) => {
    const reg = await startTestRegistry(t);
    const img = await pushSmallImage(reg.url, 'p', 'a');
    const again = await pushManifest(reg.url, 'p', 'a', img.manifest);
    assert.equal(again.status, 201);
    assert.equal(again.headers.location, `/v2/p/manifests/${img.digest}`);
    assert.equal(again.headers['docker-content-digest'], img.digest);
  });

  it('negotiates content: a manifest whose type the client does not accept is unknown to it', async (t) => {
    const reg = await startTestRegistry(t);
    await pushSmallImage(reg.url, 'neg', 'v1');
    const dockerOnly = await request(`${reg.url}/v2/neg/manifests/v1`, { headers: { Accept: `${DOCKER_MANIFEST}, ${DOCKER_LIST}` } });
    assert.equal(dockerOnly.status, 404);
    assert.deepEqual(errorCodes(dockerOnly), ['MANIFEST_UNKNOWN']);
    for (const accept of [`${DOCKER_MANIFEST}, ${OCI_MANIFEST};q=0.9`, '*/*', undefined]) {
      const r = await request(`${reg.url}/v2/neg/manifests/v1`, { headers: accept ? { Accept: accept } : {} });
      assert.equal(r.status, 200, String(accept));
    }
  });

  it('accepts Docker schema2 manifests and lists, and OCI indexes whose children exist', async (t) => {
    const reg = await startTestRegistry(t);
    const config = await pushBlob(reg.url, 'multi', '{"architecture":"arm64","os":"linux"}');
    const layer = await pushBlob(reg.url, 'multi', 'docker layer');
    const docker = {
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config, size: 37 },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: layer, size: 12 }],
    };
    const d = await pushManifest(reg.url, 'multi', 'docker', docker, DOCKER_MANIFEST);
    assert.equal(d.status, 201);
    const child = { mediaType: DOCKER_MANIFEST, digest: String(d.headers['docker-content-digest']), size: JSON.stringify(docker).length, platform: { architecture: 'arm64', os: 'linux' } };
    assert.equal((await pushManifest(reg.url, 'multi', 'list', { schemaVersion: 2, mediaType: DOCKER_LIST, manifests: [child] }, DOCKER_LIST)).status, 201);
    const index = await pushManifest(reg.url, 'multi', 'index', { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [child] }, OCI_INDEX);
    assert.equal(index.status, 201);
    assert.equal((await request(`${reg.url}/v2/multi/manifests/list`)).headers['content-type'], DOCKER_LIST);
    const orphan = await pushManifest(reg.url, 'multi', 'orphan', { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...child, digest: sha256('no such child') }] }, OCI_INDEX);
    assert.equal(orphan.status, 400);
    assert.deepEqual(errorCodes(orphan), ['MANIFEST_BLOB_UNKNOWN']);
  });

  it('lists every missing blob as its own MANIFEST_BLOB_UNKNOWN, but does not need non-distributable layers', async (t) => {
    const reg = await startTestRegistry(t);
    const config = await pushBlob(reg.url, 'v', '{}');
    const missingA = sha256('a');
    const missingB = sha256('b');
    const m = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: missingA, size: 1 },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: missingB, size: 1 },
      ],
    };
    const r = await pushManifest(reg.url, 'v', 'x', m);
    assert.equal(r.status, 400);
    const body = r.json<{ errors: { code: string; detail: string }[] }>();
    assert.deepEqual(
      body.errors.map((e) => [e.code, e.detail]),
      [
        ['MANIFEST_BLOB_UNKNOWN', missingA],
        ['MANIFEST_BLOB_UNKNOWN', missingB],
      ],
    );
    const foreign = {
      ...m,
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', digest: missingA, size: 1, urls: ['https://example.com/a'] },
        { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: missingB, size: 1 },
      ],
    };
    assert.equal((await pushManifest(reg.url, 'v', 'foreign', foreign)).status, 201);
  });

  it('refuses malformed manifests with 400 MANIFEST_INVALID, never 500', async (t) => {
    const reg = await startTestRegistry(t);
    const config = await pushBlob(reg.url, 'bad', '{}');
    const ok = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 }, layers: [] };
    const cases: [string, Buffer | object, string?][] = [
      ['not JSON', Buffer.from('{"schemaVersion": 2, ')],
      ['an array', Buffer.from('[]')],
      ['schema1', { ...ok, schemaVersion: 1 }],
      ['Content-Type against mediaType', ok, DOCKER_MANIFEST],
      ['unknown media type', { ...ok, mediaType: 'application/x-whatever' }, 'application/x-whatever'],
      ['bad config digest', { ...ok, config: { ...ok.config, digest: 'sha256:short' } }],
      ['negative size', { ...ok, config: { ...ok.config, size: -1 } }],
      ['layers not an array', { ...ok, layers: {} }],
      ['index without manifests', { schemaVersion: 2, mediaType: OCI_INDEX }, OCI_INDEX],
    ];
    for (const [what, body, type] of cases) {
      const r = await pushManifest(reg.url, 'bad', 'x', body, type ?? OCI_MANIFEST);
      assert.equal(r.status, 400, what);
      assert.deepEqual(errorCodes(r), ['MANIFEST_INVALID'], what);
    }
    for (const [method, ref] of [['GET', 'sha256:totallywrong'], ['PUT', 'sha256:totallywrong'], ['GET', 'sha256:baddigeststring']]) {
      const r = await request(`${reg.url}/v2/bad/manifests/${ref}`, { method, body: method === 'PUT' ? JSON.stringify(ok) : undefined, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(r.status, 400, `${method} ${ref}`);
    }
    const badTag = await pushManifest(reg.url, 'bad', '-leading-dash', ok);
    assert.equal(badTag.status, 400);
    assert.deepEqual(errorCodes(badTag), ['TAG_INVALID']);
  });

  it('accepts a manifest of 4 MiB and answers 413 above the limit', async (t) => {
    const reg = await startTestRegistry(t);
    const config = await pushBlob(reg.url, 'big', '{}');
    const base = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 }, layers: [], annotations: { pad: '' } };
    const fill = (size: number) => {
      const text = JSON.stringify({ ...base, annotations: { pad: '' } });
      return Buffer.from(JSON.stringify({ ...base, annotations: { pad: 'x'.repeat(size - text.length) } }));
    };
    const exact = fill(4 << 20);
    assert.equal(exact.length, 4 << 20);
    assert.equal((await pushManifest(reg.url, 'big', 'max', exact)).status, 201);
    const over = await pushManifest(reg.url, 'big', 'over', fill((4 << 20) + 1));
    assert.equal(over.status, 413);
  });

  it('pushes by digest, checks that digest (sha256 and sha512), and applies ?tag= with OCI-Tag', async (t) => {
    const reg = await startTestRegistry(t);
    const img = await pushSmallImage(reg.url, 'dg', 'base');
    const byDigest = await pushManifest(reg.url, 'dg', `${img.digest}?tag=one&tag=two`, img.manifest);
    assert.equal(byDigest.status, 201);
    assert.equal(byDigest.headers['oci-tag'], 'one, two');
    assert.deepEqual((await request(`${reg.url}/v2/dg/tags/list`)).json(), { name: 'dg', tags: ['base', 'one', 'two'] });
    const padded = Buffer.concat([img.manifest, Buffer.from('  ')]);
    const mismatch = await pushManifest(reg.url, 'dg', img.digest, padded);
    assert.equal(mismatch.status, 400);
    assert.deepEqual(errorCodes(mismatch), ['DIGEST_INVALID']);
    const d512 = sha512(img.manifest);
    const s512 = await pushManifest(reg.url, 'dg', d512, img.manifest);
    assert.equal(s512.status, 201);
    assert.equal(s512.headers['docker-content-digest'], d512);
    const get512 = await request(`${reg.url}/v2/dg/manifests/${d512}`);
    assert.equal(get512.headers['docker-content-digest'], d512);
    assert.deepEqual(get512.body, img.manifest);
  });

  it('moves a tag to the last manifest pushed to it', async (t) => {
    const reg = await startTestRegistry(t);
    await pushSmallImage(reg.url, 'mv', 'latest', 'one');
    const second = await pushSmallImage(reg.url, 'mv', 'latest', 'two');
    assert.equal((await request(`${reg.url}/v2/mv/manifests/latest`)).headers['docker-content-digest'], second.digest);
  });

  it('deletes a tag alone, or a manifest with every tag pointing at it', async (t) => {
    const reg = await startTestRegistry(t);
    const img = await pushSmallImage(reg.url, 'rm', 'a');
    await pushManifest(reg.url, 'rm', 'b', img.manifest);
    await pushManifest(reg.url, 'rm', 'c', img.manifest);
    assert.equal((await request(`${reg.url}/v2/rm/manifests/a`, { method: 'DELETE' })).status, 202);
    assert.equal((await request(`${reg.url}/v2/rm/manifests/a`)).status, 404);
    assert.equal((await request(`${reg.url}/v2/rm/manifests/${img.digest}`)).status, 200, 'the manifest stays');
    assert.equal((await request(`${reg.url}/v2/rm/manifests/${img.digest}`, { method: 'DELETE' })).status, 202);
    assert.equal((await request(`${reg.url}/v2/rm/manifests/${img.digest}`)).status, 404);
    assert.equal((await request(`${reg.url}/v2/rm/manifests/b`)).status, 404);
    assert.deepEqual((await request(`${reg.url}/v2/rm/tags/list`)).json(), { name: 'rm', tags: [] });
    const again = await request(`${reg.url}/v2/rm/manifests/${img.digest}`, { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.deepEqual(errorCodes(again), ['MANIFEST_UNKNOWN']);
  });
});

describe('registry protocol: listings', () => {
  it('lists tags sorted, with n, last and a Link to the next page', async (t) => {
    const reg = await startTestRegistry(t);
    const img = await pushSmallImage(reg.url, 'tags', 'v2');
    for (const tag of ['b', 'C', 'a', 'v1', '1.0']) await pushManifest(reg.url, 'tags', tag, img.manifest);
    const all = await request(`${reg.url}/v2/tags/tags/list`);
    assert.deepEqual(all.json(), { name: 'tags', tags: ['1.0', 'C', 'a', 'b', 'v1', 'v2'] });
    assert.equal(all.headers.link, undefined);
    const page1 = await request(`${reg.url}/v2/tags/tags/list?n=2`);
    assert.deepEqual(page1.json(), { name: 'tags', tags: ['1.0', 'C'] });
    assert.equal(page1.headers.link, '</v2/tags/tags/list?n=2&last=C>; rel="next"');
    const page2 = await request(`${reg.url}/v2/tags/tags/list?n=2&last=C`);
    assert.deepEqual(page2.json<{ tags: string[] }>().tags, ['a', 'b']);
    const page3 = await request(`${reg.url}/v2/tags/tags/list?n=2&last=b`);
    assert.deepEqual(page3.json<{ tags: string[] }>().tags, ['v1', 'v2']);
    assert.equal(page3.headers.link, undefined, 'no Link after the last page');
    const zero = await request(`${reg.url}/v2/tags/tags/list?n=0`);
    assert.deepEqual(zero.json<{ tags: string[] }>().tags, []);
    assert.equal(zero.headers.link, undefined);
    assert.deepEqual((await request(`${reg.url}/v2/tags/tags/list?last=b`)).json<{ tags: string[] }>().tags, ['v1', 'v2']);
    for (const n of ['-1', 'ten', '1e3']) {
      const r = await request(`${reg.url}/v2/tags/tags/list?n=${n}`);
      assert.equal(r.status, 400, n);
      assert.deepEqual(errorCodes(r), ['PAGINATION_NUMBER_INVALID']);
    }
  });

  it('answers NAME_UNKNOWN for a repository never pushed, and [] for one without tags', async (t) => {
    const reg = await startTestRegistry(t);
    const none = await request(`${reg.url}/v2/never/tags/list`);
    assert.equal(none.status, 404);
    assert.deepEqual(errorCodes(none), ['NAME_UNKNOWN']);
    await pushBlob(reg.url, 'blobonly', 'x');
    assert.deepEqual((await request(`${reg.url}/v2/blobonly/tags/list`)).json(), { name: 'blobonly', tags: [] });
  });

  it('lists the catalog sorted, paginated like the tags', async (t) => {
    const reg = await startTestRegistry(t);
    for (const repo of ['zeta', 'alpha/one', 'alpha', 'mid/dle/deep']) await pushBlob(reg.url, repo, repo);
    assert.deepEqual((await request(`${reg.url}/v2/_catalog`)).json(), { repositories: ['alpha', 'alpha/one', 'mid/dle/deep', 'zeta'] });
    const page = await request(`${reg.url}/v2/_catalog?n=2`);
    assert.deepEqual(page.json(), { repositories: ['alpha', 'alpha/one'] });
    assert.equal(page.headers.link, '</v2/_catalog?n=2&last=alpha%2Fone>; rel="next"');
    const next = await request(`${reg.url}/v2/_catalog?n=2&last=alpha%2Fone`);
    assert.deepEqual(next.json(), { repositories: ['mid/dle/deep', 'zeta'] });
  });

  it('serves referrers with OCI-Subject, artifactType filtering, and an empty index for unknown subjects', async (t) => {
    const reg = await startTestRegistry(t);
    const img = await pushSmallImage(reg.url, 'art', 'v1');
    await pushBlob(reg.url, 'art', '{}');
    const subject = { digest: img.digest, size: img.manifest.length };
    const sig = await pushManifest(reg.url, 'art', sha256(JSON.stringify(artifact(subject, 'application/vnd.example.sig', 'signed'))), artifact(subject, 'application/vnd.example.sig', 'signed'));
    assert.equal(sig.status, 201);
    assert.equal(sig.headers['oci-subject'], img.digest);
    const sbom = await pushManifest(reg.url, 'art', 'sbom', artifact(subject, 'application/vnd.example.sbom', 'sbom'));
    assert.equal(sbom.headers['oci-subject'], img.digest);

    const all = await request(`${reg.url}/v2/art/referrers/${img.digest}`);
    assert.equal(all.status, 200);
    assert.equal(all.headers['content-type'], OCI_INDEX);
    const index = all.json<{ schemaVersion: number; mediaType: string; manifests: { digest: string; artifactType: string; annotations: Record<string, string> }[] }>();
    assert.equal(index.mediaType, OCI_INDEX);
    assert.deepEqual(index.manifests.map((m) => m.artifactType).sort(), ['application/vnd.example.sbom', 'application/vnd.example.sig']);
    assert.ok(index.manifests.every((m) => m.annotations.note));
    const filtered = await request(`${reg.url}/v2/art/referrers/${img.digest}?artifactType=application/vnd.example.sig`);
    assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
    assert.deepEqual(filtered.json<{ manifests: { digest: string }[] }>().manifests.map((m) => m.digest), [sig.headers['docker-content-digest']]);

    const unknown = await request(`${reg.url}/v2/art/referrers/${sha256('no such subject')}`);
    assert.equal(unknown.status, 200);
    assert.deepEqual(unknown.json<{ manifests: unknown[] }>().manifests, []);
    assert.equal((await request(`${reg.url}/v2/art/referrers/sha256:bad`)).status, 400);

    // A subject that is not (yet) in the registry is allowed.
    const dangling = await pushManifest(reg.url, 'art', 'dangling', artifact({ digest: sha256('absent'), size: 7 }, 'application/vnd.example.sig', 'early'));
    assert.equal(dangling.status, 201);
    // Deleting a referrer removes it from the list.
    assert.equal((await request(`${reg.url}/v2/art/manifests/${sbom.headers['docker-content-digest']}`, { method: 'DELETE' })).status, 202);
    assert.equal((await request(`${reg.url}/v2/art/referrers/${img.digest}`)).json<{ manifests: unknown[] }>().manifests.length, 1);
  });
});

describe('registry switches', () => {
  it('in read-only mode serves pulls and refuses pushes and deletes with 405', async (t) => {
    const writable = await startTestRegistry(t);
    const img = await pushSmallImage(writable.url, 'ro', 'v1');
    await writable.close();
    const reg = await startTestRegistry(t, { root: writable.root, readOnly: true });
    assert.equal((await request(`${reg.url}/v2/ro/manifests/v1`)).status, 200);
    const push = await request(`${reg.url}/v2/ro/blobs/uploads/`, { method: 'POST' });
    assert.equal(push.status, 405);
    assert.deepEqual(errorCodes(push), ['UNSUPPORTED']);
    assert.equal((await request(`${reg.url}/v2/ro/manifests/${img.digest}`, { method: 'DELETE' })).status, 405);
  });

  it('refuses deletes with 405 UNSUPPORTED when they are disabled', async (t) => {
    const reg = await startTestRegistry(t, { deleteEnabled: false });
    const img = await pushSmallImage(reg.url, 'nd', 'v1');
    const r = await request(`${reg.url}/v2/nd/manifests/${img.digest}`, { method: 'DELETE' });
    assert.equal(r.status, 405);
    assert.deepEqual(errorCodes(r), ['UNSUPPORTED']);
  });
});
