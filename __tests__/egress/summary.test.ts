import { parse } from 'yaml';
import type { EgressEvent } from '../../src/egress/events.js';
import { narrowPaths, summarizeEgress } from '../../src/egress/summary.js';
import { parsePolicyText } from '../../src/policy/load.js';
import { compilePolicy } from '../../src/policy/matcher.js';

const ev = (e: Partial<EgressEvent> & Pick<EgressEvent, 'host' | 'decision'>): EgressEvent => ({
  layer: e.method ? 'l7' : 'l4',
  port: 443,
  reason: 'r',
  bytes_up: 0,
  bytes_down: 0,
  duration_ms: 1,
  ...e,
});

describe('narrowPaths', () => {
  test.each<[string[], string[]]>([
    [['/a'], ['/a']],
    [
      ['/a', '/a', '/b'],
      ['/a', '/b'],
    ],
    [['/x/1', '/x/2', '/x/3', '/x/4', '/x/5', '/x/6'], ['/x/**']],
    [['/x/y/1', '/x/y/2', '/x/z/3', '/x/y/4', '/x/y/5', '/x/y/6'], ['/x/**']],
    [['/a/1', '/b/2', '/c/3', '/d/4', '/e/5', '/f/6'], ['/**']],
  ])('%j → %j', (input, out) => expect(narrowPaths(input)).toEqual(out));
});

describe('summarizeEgress', () => {
  test('nothing denied: rows, no patch', () => {
    const s = summarizeEgress([
      ev({ host: 'a.test', decision: 'allow', rule: 'p.endpoints[0]' }),
      ev({ host: 'a.test', decision: 'allow' }),
    ]);
    expect(s.hosts).toEqual([
      {
        host: 'a.test',
        port: 443,
        count: 2,
        allowed: 2,
        denied: 0,
        decision: 'allow',
        rule: 'p.endpoints[0]',
      },
    ]);
    expect(s.suggestedPatch).toBeUndefined();
    expect(s.deniedHosts).toEqual([]);
  });

  test.each<[string, EgressEvent[], unknown[] | undefined]>([
    [
      'L4 denial → exact host and port',
      [ev({ host: 'evil.test', decision: 'deny', port: 8443 })],
      [{ host: 'evil.test', port: 8443 }],
    ],
    [
      'would_deny is suggested too',
      [ev({ host: 'w.test', decision: 'would_deny' })],
      [{ host: 'w.test', port: 443 }],
    ],
    [
      'L7 denials → rest rules with seen method and path',
      [
        ev({ host: 'api.test', decision: 'deny', method: 'POST', path: '/repos/o/r/issues' }),
        ev({ host: 'api.test', decision: 'deny', method: 'DELETE', path: '/x' }),
      ],
      [
        {
          host: 'api.test',
          port: 443,
          protocol: 'rest',
          rules: [
            { allow: { method: 'DELETE', path: '/x' } },
            { allow: { method: 'POST', path: '/repos/o/r/issues' } },
          ],
        },
      ],
    ],
    [
      'L4 and L7 for one host → L7 only (narrower)',
      [
        ev({ host: 'm.test', decision: 'deny' }),
        ev({ host: 'm.test', decision: 'deny', method: 'GET', path: '/a' }),
      ],
      [{ host: 'm.test', port: 443, protocol: 'rest', rules: [{ allow: { method: 'GET', path: '/a' } }] }],
    ],
    [
      'glob characters in a seen path are not widened',
      [ev({ host: 'g.test', decision: 'deny', method: 'GET', path: '/a*b' })],
      [{ host: 'g.test', port: 443, protocol: 'rest', rules: [{ allow: { method: 'GET', path: '/a?b' } }] }],
    ],
    [
      'SSRF denials are never suggested',
      [ev({ host: 'meta.test', decision: 'deny', layer: 'ssrf' })],
      undefined,
    ],
    [
      'invalid and non-canonical IP hosts are never suggested',
      [ev({ host: '2130706433', decision: 'deny' }), ev({ host: 'a@b', decision: 'deny' })],
      undefined,
    ],
    [
      'internal routes are never suggested',
      [ev({ host: 'inference.local', decision: 'deny', internal: true })],
      undefined,
    ],
  ])('%s', (_n, events, endpoints) => {
    const s = summarizeEgress(events);
    if (endpoints === undefined) {
      expect(s.suggestedPatch).toBeUndefined();
      return;
    }
    const doc = parse(s.suggestedPatch!);
    expect(doc.network_policies['suggested-by-nemoclaw'].endpoints).toEqual(endpoints);
    // The patch is itself a valid policy that allows exactly what was denied.
    const m = compilePolicy(parsePolicyText(s.suggestedPatch!, 'patch.yaml'));
    for (const e of events)
      expect(
        m.match({
          host: e.host,
          port: e.port,
          ...(e.method ? { method: e.method, path: (e.path ?? '/').replace('*', 'x') } : {}),
        }).decision,
      ).toBe('allow');
  });

  test('rows sort denied first and keep the strictest decision', () => {
    const s = summarizeEgress([
      ev({ host: 'ok.test', decision: 'allow' }),
      ev({ host: 'ok.test', decision: 'allow' }),
      ev({ host: 'bad.test', decision: 'allow' }),
      ev({ host: 'bad.test', decision: 'deny', method: 'POST', path: '/p' }),
    ]);
    expect(s.hosts.map((h) => [h.host, h.decision, h.allowed, h.denied])).toEqual([
      ['bad.test', 'deny', 1, 1],
      ['ok.test', 'allow', 2, 0],
    ]);
    expect(s.deniedHosts).toEqual(['bad.test:443']);
  });
});

test('inspected tunnel events do not count twice', () => {
  const s = summarizeEgress([
    ev({ host: 'api.test', decision: 'allow', inspected: true }),
    ev({ host: 'api.test', decision: 'allow', method: 'GET', path: '/' }),
  ]);
  expect(s.hosts).toEqual([expect.objectContaining({ host: 'api.test', count: 1 })]);
});
