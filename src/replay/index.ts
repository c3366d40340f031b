export { loadReplayScript, parseReplayScript, type ReplayScript, type Turn } from './script.js';
export { decide, turnIndex, type ChatRequest, type ReplayDecision } from './turn.js';
export {
  createReplayHandler,
  startReplayServer,
  type ReplayServer,
  type ReplayServerOptions,
} from './server.js';
