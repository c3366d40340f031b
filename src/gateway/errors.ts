import type { ServerResponse } from 'node:http';

// Every refusal the gateway itself makes is an OpenAI-style JSON error with a
// machine-readable type, so agents and people both see why.
export function sendError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify({
    error: { type, code: type, message: `nemoclaw gateway: ${message}`, ...extra },
  });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
