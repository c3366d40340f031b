import { createRequire as __nemoclawCreateRequire } from 'node:module'; const require = __nemoclawCreateRequire(import.meta.url);
import {
  info,
  setFailed
} from "../chunks/chunk-T3T6CWSJ.js";
import {
  describeError
} from "../chunks/chunk-K5AEUKPI.js";

// src/action/main.ts
async function runMain() {
  try {
    info("nemoclaw-action: main");
  } catch (err) {
    setFailed(describeError(err));
  }
}

// src/main.ts
await runMain();
