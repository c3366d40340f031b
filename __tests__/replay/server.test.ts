import { startReplayServer, type ReplayServer } from '../../src/replay/server.js';
import { assetPath } from '../../src/paths.js';

let server: ReplayServer;
beforeAll(async () => {
  server = await startReplayServer({
    scriptPath: assetPath('examples', 'replay', 'fix-failing-test.yaml'),
    port: 0,
  });
});
afterAll(() => server.close());

const tools = ['read', 'edit', 'exec', 'write', 'ls', 'apply_patch'].map((name) => ({
  type: 'function',
  function: { name },
}));
const post = (body: object) =>
  fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

test('serves the model list', async () => {
  const res = await fetch(`${server.url}/v1/models`);
  expect(((await res.json()) as { data: Array<{ id: string }> }).data[0]!.id).toBe('replay');
});

test('streams the first turn as SSE with a usage chunk', async () => {
  const res = await post({
    model: 'replay',
    stream: true,
    stream_options: { include_usage: true },
    tools,
    messages: [
      { role: 'system', content: 's' },
      { role: 'user', content: 'fix it' },
      { role: 'user', content: 'ctx' },
    ],
  });
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const text = await res.text();
  expect(text).toContain('"name":"exec"');
  expect(text).toContain('"usage"');
  expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
});

test('a mismatch is a 400 naming the script and turn', async () => {
  const res = await post({
    tools,
    messages: [
      { role: 'user', content: 'x' },
      { role: 'assistant', content: null },
      { role: 'tool', content: 'all fine' },
    ],
  });
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: { message: string; type: string } };
  expect(body.error.type).toBe('replay_mismatch');
  expect(body.error.message).toMatch(
    /replay script "fix-failing-test", turn 2: expected the last tool result to contain "AssertionError"/,
  );
});

test('a body that is not a chat request is a 400', async () => {
  const res = await post({ nothing: true });
  expect(res.status).toBe(400);
});
