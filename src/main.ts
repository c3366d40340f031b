import { runMain } from './action/main.js';

await runMain();
