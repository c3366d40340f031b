import { createRequire as __nemoclawCreateRequire } from 'node:module'; const require = __nemoclawCreateRequire(import.meta.url);
import {
  info,
  warning
} from "../chunks/chunk-T3T6CWSJ.js";
import {
  describeError
} from "../chunks/chunk-K5AEUKPI.js";

// src/action/post.ts
async function runPost() {
  try {
    info("nemoclaw-action: post");
  } catch (err) {
    warning(describeError(err));
  }
}

// src/post.ts
await runPost();
