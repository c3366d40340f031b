// Parsing what the client asked for, by hand rather than with WHATWG URL: URL
// would silently turn `2130706433` into `127.0.0.1` and drop userinfo, and the
// policy must see exactly what was sent.
export interface Authority {
  host: string;
  port: number | undefined;
}

export function parseAuthority(a: string): Authority | undefined {
  const m = /^(\[[^\]]*\]|[^:[\]]*)(?::(\d{1,5}))?$/.exec(a);
  if (!m) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port };
}

export interface AbsoluteTarget {
  scheme: 'http' | 'https' | 'ws' | 'wss';
  host: string;
  port: number;
  /** Path and query as sent ("/" when empty). */
  pathAndQuery: string;
}

const DEFAULT_PORT = { http: 80, ws: 80, https: 443, wss: 443 } as const;

export function parseAbsolute(url: string): AbsoluteTarget | undefined {
  const m = /^(https?|wss?):\/\/([^/?#]*)([^#]*)/i.exec(url);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase() as AbsoluteTarget['scheme'];
  const auth = parseAuthority(m[2]!);
  if (!auth) return undefined;
  const rest = m[3]!;
  return {
    scheme,
    host: auth.host,
    port: auth.port ?? DEFAULT_PORT[scheme],
    pathAndQuery: rest.startsWith('/') ? rest : `/${rest}`,
  };
}

export function splitQuery(pathAndQuery: string): { path: string; query: string | undefined } {
  const i = pathAndQuery.indexOf('?');
  return i === -1
    ? { path: pathAndQuery, query: undefined }
    : { path: pathAndQuery.slice(0, i), query: pathAndQuery.slice(i + 1) };
}
