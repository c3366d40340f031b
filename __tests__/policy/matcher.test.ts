import { compilePolicy, type Decision, type EgressRequest } from '../../src/policy/matcher.js';
import { loadPolicies, parsePolicyText } from '../../src/policy/load.js';

const policy = parsePolicyText(
  `
version: 1
network_policies:
  tunnel:
    endpoints:
      - host: example.com
      - host: multi.example.org
        ports: [80, 8443]
      - host: "*.githubusercontent.com"
      - host: 203.0.113.7
        port: 443
      - host: "2001:db8::1"
        port: 443
  api:
    endpoints:
      - host: api.test
        protocol: rest
        access: read-only
        deny_rules:
          - { method: GET, path: "/admin/**" }
          - { path: "/secrets/*" }
          - { method: GET, path: "/search", query: { q: "*password*" } }
      - host: rw.test
        protocol: rest
        access: read-write
      - host: full.test
        protocol: rest
        access: full
        deny_rules:
          - { method: DELETE, path: "/protected/**" }
      - host: rules.test
        ports: [443, 80]
        protocol: rest
        rules:
          - allow: { method: POST, path: "/*/*/git-upload-pack" }
          - allow: { method: GET, path: "/repos/*/issues" }
          - allow: { method: GET, path: "/download", query: { format: [zip, "tar*"] } }
          - allow: { path: "/any-method/**" }
      - host: audit.test
        protocol: rest
        access: read-only
        enforcement: audit
      - host: "*.wild.test"
        protocol: rest
        access: read-only
  overlap:
    endpoints:
      - host: overlap.test
        protocol: rest
        access: full
      - host: overlap.test
        protocol: rest
        access: read-only
        deny_rules:
          - { method: POST, path: "/forbidden" }
`,
  'inline',
);

const m = compilePolicy(policy);
const audit = compilePolicy(policy, { enforcement: 'audit' });

type Row = [string, EgressRequest, Decision['decision'], Partial<Decision>?];
const l4 = (host: string, port = 443): EgressRequest => ({ host, port });
const l7 = (method: string, host: string, path = '/', query?: string, port = 443): EgressRequest => ({
  host,
  port,
  method,
  path,
  ...(query === undefined ? {} : { query }),
});

const rows: Row[] = [
  // exact hosts, ports
  ['exact L4', l4('example.com'), 'allow', { inspect: false, policy: 'tunnel' }],
  ['exact L4 port 80 not listed', l4('example.com', 80), 'deny'],
  ['exact L4 port 8443 not listed', l4('example.com', 8443), 'deny'],
  ['subdomain of exact', l4('www.example.com'), 'deny'],
  ['parent of exact', l4('com'), 'deny'],
  ['suffix trick', l4('example.com.evil.net'), 'deny'],
  ['prefix trick', l4('evilexample.com'), 'deny'],
  ['hyphen prefix trick', l4('evil-example.com'), 'deny'],
  ['multi port 80', l4('multi.example.org', 80), 'allow'],
  ['multi port 8443', l4('multi.example.org', 8443), 'allow'],
  ['multi default 443 not listed', l4('multi.example.org', 443), 'deny'],
  ['multi port 22', l4('multi.example.org', 22), 'deny'],
  ['unknown host', l4('unknown.test'), 'deny', { reason: 'no policy allows unknown.test:443' }],
  ['unknown host port 80', l4('unknown.test', 80), 'deny'],
  // case and trailing dot
  ['upper case', l4('EXAMPLE.COM'), 'allow'],
  ['mixed case', l4('ExAmPlE.cOm'), 'allow'],
  ['trailing dot', l4('example.com.'), 'allow'],
  ['upper + trailing dot', l4('EXAMPLE.COM.'), 'allow'],
  ['two trailing dots', l4('example.com..'), 'deny'],
  ['leading dot', l4('.example.com'), 'deny'],
  ['empty label', l4('example..com'), 'deny'],
  // wildcards
  ['wildcard one label', l4('raw.githubusercontent.com'), 'allow'],
  ['wildcard other label', l4('objects.githubusercontent.com'), 'allow'],
  ['wildcard upper', l4('RAW.GithubUserContent.com'), 'allow'],
  ['wildcard trailing dot', l4('raw.githubusercontent.com.'), 'allow'],
  ['wildcard two labels', l4('a.b.githubusercontent.com'), 'deny'],
  ['wildcard apex', l4('githubusercontent.com'), 'deny'],
  ['wildcard suffix trick', l4('raw.githubusercontent.com.evil.net'), 'deny'],
  ['wildcard lookalike', l4('raw.githubusercontent.co'), 'deny'],
  ['wildcard lookalike 2', l4('rawgithubusercontent.com'), 'deny'],
  ['wildcard port', l4('raw.githubusercontent.com', 80), 'deny'],
  ['wildcard rest GET', l7('GET', 'x.wild.test', '/a'), 'allow'],
  ['wildcard rest POST', l7('POST', 'x.wild.test', '/a'), 'deny'],
  ['wildcard rest apex', l7('GET', 'wild.test', '/a'), 'deny'],
  ['wildcard rest deep', l7('GET', 'a.x.wild.test', '/a'), 'deny'],
  // malformed and tricks
  ['NUL', l4('example.com\0.evil.net'), 'deny'],
  ['NUL at end', l4('example.com\0'), 'deny'],
  ['%2E', l4('example%2Ecom'), 'deny'],
  ['%2e trailing', l4('example.com%2e'), 'deny'],
  ['userinfo', l4('user@example.com'), 'deny'],
  ['userinfo inverted', l4('example.com@evil.net'), 'deny'],
  ['space', l4('example.com evil.net'), 'deny'],
  ['tab', l4('example.com\t'), 'deny'],
  ['slash', l4('example.com/evil'), 'deny'],
  ['backslash', l4('example.com\\evil'), 'deny'],
  ['question', l4('example.com?x'), 'deny'],
  ['hash', l4('example.com#x'), 'deny'],
  ['empty', l4(''), 'deny'],
  ['underscore label ok but unknown', l4('a_b.test'), 'deny'],
  ['too long', l4(`${'a'.repeat(250)}.com`), 'deny'],
  ['stray colon', l4('example.com:443'), 'deny'],
  ['unicode', l4('exämple.com'), 'deny'],
  ['punycode not equal', l4('xn--exmple-cua.com'), 'deny'],
  // IP literals
  ['loopback IP', l4('127.0.0.1'), 'deny'],
  [
    'decimal loopback',
    l4('2130706433'),
    'deny',
    { reason: '"2130706433" is a non-canonical IP literal; no policy matches it' },
  ],
  ['hex loopback', l4('0x7f000001'), 'deny'],
  ['dotted hex', l4('0x7f.0.0.1'), 'deny'],
  ['octal loopback', l4('0177.0.0.1'), 'deny'],
  ['short IPv4', l4('127.1'), 'deny'],
  ['IPv6 loopback', l4('::1'), 'deny'],
  ['IPv6 loopback bracketed', l4('[::1]'), 'deny'],
  ['IPv4-mapped IPv6', l4('::ffff:127.0.0.1'), 'deny'],
  ['metadata', l4('169.254.169.254'), 'deny'],
  ['metadata v6', l4('fd00:ec2::254'), 'deny'],
  ['listed IPv4', l4('203.0.113.7'), 'allow'],
  ['listed IPv4 trailing dot', l4('203.0.113.7.'), 'allow'],
  ['listed IPv4 other port', l4('203.0.113.7', 80), 'deny'],
  ['listed IPv4 decimal form', l4('3405803783'), 'deny'],
  ['listed IPv4 hex form', l4('0xcb007107'), 'deny'],
  ['listed IPv4 zero padded', l4('203.0.113.007'), 'deny'],
  ['listed IPv6', l4('2001:db8::1'), 'allow'],
  ['listed IPv6 bracketed', l4('[2001:db8::1]'), 'allow'],
  ['listed IPv6 upper', l4('2001:DB8::1'), 'allow'],
  ['IPv6 neighbour', l4('2001:db8::2'), 'deny'],
  ['IP never matches name rule', l4('93.184.216.34'), 'deny'],
  // L4 endpoint allows any request at L7 too
  ['L4 endpoint plain GET', l7('GET', 'example.com'), 'allow'],
  ['L4 endpoint DELETE', l7('DELETE', 'example.com', '/x'), 'allow'],
  // rest: CONNECT inspects
  ['rest CONNECT inspect', l4('api.test'), 'allow', { inspect: true, policy: 'api' }],
  ['rest CONNECT wrong port', l4('api.test', 80), 'deny'],
  ['rest CONNECT rules.test 80', l4('rules.test', 80), 'allow', { inspect: true }],
  // read-only preset
  ['ro GET', l7('GET', 'api.test', '/repos'), 'allow', { layer: 'l7', rule: 'api.endpoints[0].access' }],
  ['ro HEAD', l7('HEAD', 'api.test', '/repos'), 'allow'],
  ['ro OPTIONS', l7('OPTIONS', 'api.test', '/repos'), 'allow'],
  ['ro lowercase get', l7('get', 'api.test', '/repos'), 'allow'],
  ['ro POST', l7('POST', 'api.test', '/repos'), 'deny'],
  ['ro PUT', l7('PUT', 'api.test', '/repos'), 'deny'],
  ['ro PATCH', l7('PATCH', 'api.test', '/repos'), 'deny'],
  ['ro DELETE', l7('DELETE', 'api.test', '/repos'), 'deny'],
  ['ro CONNECT method', l7('CONNECT', 'api.test', '/'), 'deny'],
  ['ro TRACE', l7('TRACE', 'api.test', '/'), 'deny'],
  ['ro GET upper host', l7('GET', 'API.TEST', '/repos'), 'allow'],
  ['ro GET with query', l7('GET', 'api.test', '/repos', 'page=2'), 'allow'],
  // read-write preset
  ['rw GET', l7('GET', 'rw.test', '/x'), 'allow'],
  ['rw POST', l7('POST', 'rw.test', '/x'), 'allow'],
  ['rw PUT', l7('PUT', 'rw.test', '/x'), 'allow'],
  ['rw PATCH', l7('PATCH', 'rw.test', '/x'), 'allow'],
  ['rw DELETE', l7('DELETE', 'rw.test', '/x'), 'deny'],
  ['rw HEAD', l7('HEAD', 'rw.test', '/x'), 'allow'],
  ['rw OPTIONS', l7('OPTIONS', 'rw.test', '/x'), 'allow'],
  // full preset
  ['full DELETE', l7('DELETE', 'full.test', '/x'), 'allow'],
  ['full PROPFIND', l7('PROPFIND', 'full.test', '/x'), 'allow'],
  ['full GET', l7('GET', 'full.test', '/'), 'allow'],
  [
    'full deny DELETE protected',
    l7('DELETE', 'full.test', '/protected/a/b'),
    'deny',
    { rule: 'api.endpoints[2].deny_rules[0]' },
  ],
  ['full GET protected', l7('GET', 'full.test', '/protected/a'), 'allow'],
  ['full DELETE protectedX', l7('DELETE', 'full.test', '/protectedX'), 'allow'],
  // deny rules win
  [
    'deny admin GET',
    l7('GET', 'api.test', '/admin/users'),
    'deny',
    { rule: 'api.endpoints[0].deny_rules[0]' },
  ],
  ['deny admin deep', l7('GET', 'api.test', '/admin/a/b/c'), 'deny'],
  ['deny admin HEAD allowed', l7('HEAD', 'api.test', '/admin/users'), 'allow'],
  ['deny admin prefix only', l7('GET', 'api.test', '/administrator'), 'allow'],
  ['deny secrets any method', l7('HEAD', 'api.test', '/secrets/x'), 'deny'],
  ['deny secrets one segment', l7('GET', 'api.test', '/secrets/x/y'), 'allow'],
  ['deny query match', l7('GET', 'api.test', '/search', 'q=mypassword1'), 'deny'],
  ['deny query no match', l7('GET', 'api.test', '/search', 'q=cats'), 'allow'],
  ['deny query absent', l7('GET', 'api.test', '/search'), 'allow'],
  ['deny query second value', l7('GET', 'api.test', '/search', 'q=a&q=password'), 'deny'],
  ['deny query encoded', l7('GET', 'api.test', '/search', 'q=pass%77ord'), 'deny'],
  ['deny wins across endpoints', l7('POST', 'overlap.test', '/forbidden'), 'deny'],
  ['overlap full allows other', l7('POST', 'overlap.test', '/ok'), 'allow', { policy: 'overlap' }],
  ['overlap DELETE via full', l7('DELETE', 'overlap.test', '/ok'), 'allow'],
  // explicit rules
  [
    'rule git-upload-pack',
    l7('POST', 'rules.test', '/org/repo/git-upload-pack'),
    'allow',
    { rule: 'api.endpoints[3].rules[0]' },
  ],
  ['rule git-receive-pack', l7('POST', 'rules.test', '/org/repo/git-receive-pack'), 'deny'],
  ['rule upload-pack wrong method', l7('GET', 'rules.test', '/org/repo/git-upload-pack'), 'deny'],
  ['rule upload-pack too deep', l7('POST', 'rules.test', '/a/org/repo/git-upload-pack'), 'deny'],
  ['rule issues', l7('GET', 'rules.test', '/repos/x/issues'), 'allow'],
  ['rule issues deeper', l7('GET', 'rules.test', '/repos/x/issues/1'), 'deny'],
  ['rule issues POST', l7('POST', 'rules.test', '/repos/x/issues'), 'deny'],
  ['rule query zip', l7('GET', 'rules.test', '/download', 'format=zip'), 'allow'],
  ['rule query tar.gz', l7('GET', 'rules.test', '/download', 'format=tar.gz'), 'allow'],
  ['rule query other', l7('GET', 'rules.test', '/download', 'format=exe'), 'deny'],
  ['rule query missing', l7('GET', 'rules.test', '/download'), 'deny'],
  ['rule query extra params ok', l7('GET', 'rules.test', '/download', 'a=1&format=zip'), 'allow'],
  ['rule any method', l7('DELETE', 'rules.test', '/any-method/x/y'), 'allow'],
  ['rule any method root', l7('PUT', 'rules.test', '/any-method/'), 'allow'],
  ['rule port 80', l7('GET', 'rules.test', '/repos/x/issues', undefined, 80), 'allow'],
  ['rule port 8080', l7('GET', 'rules.test', '/repos/x/issues', undefined, 8080), 'deny'],
  // path tricks
  ['dot segment', l7('GET', 'api.test', '/repos/../admin/x'), 'deny'],
  ['encoded dot segment', l7('GET', 'api.test', '/repos/%2e%2e/admin/x'), 'deny'],
  ['encoded dot upper', l7('GET', 'api.test', '/repos/%2E%2E/admin'), 'deny'],
  ['single dot segment', l7('GET', 'api.test', '/./admin/x'), 'deny'],
  ['backslash path', l7('GET', 'api.test', '/admin\\x'), 'deny'],
  ['NUL path', l7('GET', 'api.test', '/a\0b'), 'deny'],
  ['bad escape', l7('GET', 'api.test', '/a%zz'), 'deny'],
  ['relative path', l7('GET', 'api.test', 'admin'), 'deny'],
  ['encoded letters canonicalised into deny', l7('GET', 'api.test', '/%61dmin/users'), 'deny'],
  ['encoded slash stays encoded', l7('GET', 'api.test', '/admin%2Fusers'), 'allow'],
  ['encoded letters rule', l7('POST', 'rules.test', '/org/repo/git-upload-pac%6B'), 'allow'],
  // audit enforcement
  ['audit endpoint GET', l7('GET', 'audit.test', '/'), 'allow', { wouldDeny: false, enforcement: 'audit' }],
  [
    'audit endpoint POST would deny',
    l7('POST', 'audit.test', '/'),
    'allow',
    { wouldDeny: true, enforcement: 'audit' },
  ],
  ['audit endpoint DELETE would deny', l7('DELETE', 'audit.test', '/x'), 'allow', { wouldDeny: true }],
  ['enforce unknown stays deny', l4('unknown.test'), 'deny', { wouldDeny: false, enforcement: 'enforce' }],
  ['layer l4', l4('unknown.test'), 'deny', { layer: 'l4' }],
  ['layer l7', l7('POST', 'api.test', '/x'), 'deny', { layer: 'l7', policy: 'api' }],
];

describe('matcher', () => {
  // Rest parameters: jest would take a 4th declared parameter for a `done` callback.
  test.each(rows)('%s', (...row) => {
    const [, req, decision, extra] = row as Row;
    const d = m.match(req);
    expect(d.decision).toBe(decision);
    if (extra) expect(d).toMatchObject(extra);
    if (decision === 'deny') expect(d.reason.length).toBeGreaterThan(5);
  });

  test('has at least 150 vectors', () => expect(rows.length + auditRows.length).toBeGreaterThanOrEqual(150));

  const auditRows: Array<[string, EgressRequest, boolean]> = [
    ['unknown host', l4('unknown.test'), true],
    ['ro POST', l7('POST', 'api.test', '/x'), true],
    ['deny rule', l7('GET', 'api.test', '/admin/x'), true],
    ['IP literal', l4('127.0.0.1'), true],
    ['allowed stays clean', l7('GET', 'api.test', '/x'), false],
    ['L4 allowed', l4('example.com'), false],
  ];
  test.each(auditRows)('job-wide audit: %s', (_n, req, wouldDeny) => {
    const d = audit.match(req);
    expect(d.decision).toBe('allow');
    expect(d.wouldDeny).toBe(wouldDeny);
    expect(d.enforcement).toBe('audit');
  });
});

describe('shipped presets', () => {
  const read = compilePolicy(loadPolicies(['github-read']).policy);
  const write = compilePolicy(loadPolicies(['github-write']).policy);
  const gh = (method: string, path: string, query?: string) => l7(method, 'github.com', path, query);
  test.each<[string, EgressRequest, 'allow' | 'deny', 'allow' | 'deny']>([
    ['refs for clone', gh('GET', '/o/r.git/info/refs', 'service=git-upload-pack'), 'allow', 'allow'],
    ['upload-pack', gh('POST', '/o/r.git/git-upload-pack'), 'allow', 'allow'],
    ['upload-pack no .git', gh('POST', '/o/r/git-upload-pack'), 'allow', 'allow'],
    ['receive-pack', gh('POST', '/o/r.git/git-receive-pack'), 'deny', 'allow'],
    ['api GET', l7('GET', 'api.github.com', '/repos/o/r'), 'allow', 'allow'],
    ['api comment', l7('POST', 'api.github.com', '/repos/o/r/issues/3/comments'), 'deny', 'allow'],
    ['api delete repo', l7('DELETE', 'api.github.com', '/repos/o/r'), 'deny', 'deny'],
    ['codeload', l7('GET', 'codeload.github.com', '/o/r/tar.gz/main'), 'allow', 'allow'],
    ['raw', l7('GET', 'raw.githubusercontent.com', '/o/r/main/README.md'), 'allow', 'allow'],
    ['gist not listed', l4('gist.github.com'), 'deny', 'deny'],
  ])('%s', (_n, req, r, w) => {
    expect(read.match(req).decision).toBe(r);
    expect(write.match(req).decision).toBe(w);
  });
});
