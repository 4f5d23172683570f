import { runAction } from './action/runAction.ts';

await runAction();
