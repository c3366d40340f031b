import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { checkWorkspace, persistedCredentials, tooWide } from '../../src/job/workspace.js';

describe('persistedCredentials', () => {
  it.each([
    ['[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic eC1hY2Nlc3M=\n', 1],
    ['[remote "origin"]\n\turl = https://x-access-token:ghs_abc@github.com/o/r\n', 1],
    ['[remote "origin"]\n\turl = https://github.com/o/r\n', 0],
    ['[core]\n\tbare = false\n', 0],
  ])('%j → %i finding(s)', (config, n) => {
    expect(persistedCredentials(config)).toHaveLength(n);
  });
});

describe('tooWide', () => {
  it.each<[string, string | undefined, RegExp | undefined]>([
    ['/', '/home/runner', /root of the file system/],
    ['/home', '/home/runner', /contains the home directory/],
    ['/home/runner', '/home/runner', /contains the home directory/],
    ['/home/runner/work/repo/repo', '/home/runner', undefined],
    ['/etc', undefined, /inside \/etc/],
    ['/var/run/docker', undefined, /inside \/var\/run/],
    ['/root/project', undefined, /inside \/root/],
    ['/tmp/ws', '/root', undefined],
  ])('%s (home %s)', (ws, home, expected) => {
    const r = tooWide(ws, home);
    if (expected) expect(r).toMatch(expected);
    else expect(r).toBeUndefined();
  });
});

describe('checkWorkspace', () => {
  it('refuses a checkout that persisted the token', () => {
    const ws = mkdtempSync(join(tmpdir(), 'ws-'));
    mkdirSync(join(ws, '.git'));
    writeFileSync(
      join(ws, '.git', 'config'),
      '[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic abc\n',
    );
    expect(() => checkWorkspace(ws, {})).toThrow(UserError);
    expect(() => checkWorkspace(ws, {})).toThrow(/push with your token/);
  });
  it('refuses a root-owned workspace the agent should write to', () => {
    const ws = mkdtempSync(join(tmpdir(), 'ws-'));
    if (process.getuid?.() !== 0) return; // only root can make one
    expect(() => checkWorkspace(ws, {}, 'read-write')).toThrow(/owned by root/);
    expect(() => checkWorkspace(ws, {}, 'read-only')).not.toThrow();
  });
  it('accepts a clean repository and refuses a missing directory', () => {
    const ws = mkdtempSync(join(tmpdir(), 'ws-'));
    expect(() => checkWorkspace(ws, {})).not.toThrow();
    expect(() => checkWorkspace(join(ws, 'nope'), {})).toThrow(/not a directory/);
  });
});
