import { runPost } from './action/runPost.ts';

await runPost();
