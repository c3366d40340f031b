import type { ResolvedBlueprint } from '../../src/blueprint/resolve.js';
import { UserError } from '../../src/errors.js';
import { imageMatches } from '../../src/image/ensure.js';
import { imageCacheKey, localImageTag, throughput } from '../../src/image/key.js';
import { verifyPulled } from '../../src/image/pull.js';

const h = (c: string) => c.repeat(64);
const built = {
  name: 'openclaw',
  version: '0.1.0',
  digest: `sha256:${h('b')}`,
  platform: 'linux/amd64',
  spec: { image: { platforms: ['linux/amd64'] } },
} as unknown as ResolvedBlueprint;
const pinned = {
  ...built,
  spec: {
    image: {
      reference: `reg.example/x@sha256:${h('d')}`,
      id: `sha256:${h('1')}`,
      platforms: ['linux/arm64'],
    },
  },
  platform: 'linux/arm64',
} as unknown as ResolvedBlueprint;

describe('cache keys and tags', () => {
  it.each([
    [built, `nemoclaw-image-v1-linux-amd64-bp-${h('b')}`],
    [pinned, `nemoclaw-image-v1-linux-arm64-id-${h('1')}`],
  ])('key %#', (bp, key) => expect(imageCacheKey(bp)).toBe(key));

  it('tags by name, version and the blueprint digest', () => {
    expect(localImageTag(built)).toBe('nemoclaw/openclaw:0.1.0-bbbbbbbbbbbb');
  });

  it('formats throughput', () => expect(throughput(250e6, 2000)).toBe('250.0 MB in 2.0 s (125 MB/s)'));
});

describe('imageMatches', () => {
  it.each([
    [
      built,
      { Id: 'sha256:x', Config: { Labels: { 'io.nemoclaw.blueprint-digest': `sha256:${h('b')}` } } },
      true,
    ],
    [
      built,
      { Id: 'sha256:x', Config: { Labels: { 'io.nemoclaw.blueprint-digest': `sha256:${h('c')}` } } },
      false,
    ],
    [built, { Id: 'sha256:x', Config: { Labels: null } }, false],
    [pinned, { Id: `sha256:${h('1')}` }, true],
    [
      pinned,
      { Id: `sha256:${h('2')}`, Config: { Labels: { 'io.nemoclaw.blueprint-digest': `sha256:${h('b')}` } } },
      false,
    ],
  ])('%#', (bp, img, ok) => expect(imageMatches(img, bp)).toBe(ok));
});

describe('verifyPulled', () => {
  const ref = `127.0.0.1:5000/x@sha256:${h('d')}`;
  it('accepts the pinned digest and ID', () => {
    expect(() =>
      verifyPulled({ Id: `sha256:${h('1')}`, RepoDigests: [ref] }, ref, `sha256:${h('1')}`),
    ).not.toThrow();
  });
  it.each([
    [
      { Id: `sha256:${h('1')}`, RepoDigests: [`127.0.0.1:5000/x@sha256:${h('e')}`] },
      /not listed under the pinned digest/,
    ],
    [{ Id: `sha256:${h('1')}` }, /not listed/],
    [{ Id: `sha256:${h('2')}`, RepoDigests: [ref] }, /expected image ID sha256:1+, actual sha256:2+/],
  ])('refuses %#', (img, msg) => {
    expect(() => verifyPulled(img, ref, `sha256:${h('1')}`)).toThrow(UserError);
    expect(() => verifyPulled(img, ref, `sha256:${h('1')}`)).toThrow(msg);
  });
});

describe('buildIdentity', () => {
  it('changes with the recipe script, so a fixed recipe never reuses an old image or cache entry', async () => {
    const { buildIdentity } = await import('../../src/image/ensure.js');
    const bp = 'sha256:' + 'a'.repeat(64);
    const a = buildIdentity(bp, 'echo one');
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(buildIdentity(bp, 'echo one')).toBe(a);
    expect(buildIdentity(bp, 'echo two')).not.toBe(a);
    expect(buildIdentity('sha256:' + 'b'.repeat(64), 'echo one')).not.toBe(a);
  });
});
