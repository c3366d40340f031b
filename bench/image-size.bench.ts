// Size of the OpenClaw sandbox image: uncompressed (engine's inspect) and as the
// image cache stores it (`docker save | zstd -3`, streamed and counted, never
// written to disk). Target: compressed ≤ 250 MB (NemoClaw's is 2.4 GB).
//   node bench/run.mjs image-size [IMAGE]
import Docker from 'dockerode';
import { Writable } from 'node:stream';
import { saveImageCompressed } from '../src/image/stream.js';

const image = process.argv[2] ?? process.env.NEMOCLAW_AGENT_IMAGE ?? 'nemoclaw/openclaw-sandbox:dev';
const docker = new Docker();
const info = (await docker.getImage(image).inspect()) as { Id: string; Size: number };
let compressed = 0;
const counter = new Writable({
  write(chunk: Buffer, _enc, done) {
    compressed += chunk.length;
    done();
  },
});
const started = performance.now();
await saveImageCompressed(docker, image, counter, 3);
const ms = performance.now() - started;
const target = 250e6;
console.log(
  JSON.stringify({
    image,
    image_id: info.Id,
    image_bytes: info.Size,
    compressed_bytes: compressed,
    compression_ratio: +(compressed / info.Size).toFixed(3),
    compressed_vs_target: +(compressed / target).toFixed(3),
    save_ms: Math.round(ms),
  }),
);
