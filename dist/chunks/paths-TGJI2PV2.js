import { createRequire as __nemoclawCreateRequire } from 'node:module'; const require = __nemoclawCreateRequire(import.meta.url);
import {
  assetPath,
  packageRoot
} from "./chunk-NUV2W2VM.js";
import "./chunk-4X7CRJ2R.js";
export {
  assetPath,
  packageRoot
};
