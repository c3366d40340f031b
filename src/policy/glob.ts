// Path and value globs for L7 rules: `*` stays inside one path segment, `**`
// crosses segments. Compiled once to an anchored RegExp.
const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string, segmented = true): RegExp {
  const key = `${segmented ? 's' : 'v'}:${glob}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') {
      re += segmented ? '[^/]*' : '.*';
    } else if (c === '?') {
      re += segmented ? '[^/]' : '.';
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  const compiled = new RegExp(`^${re}$`, 's');
  cache.set(key, compiled);
  return compiled;
}
