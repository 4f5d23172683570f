#!/usr/bin/env node
import { runCli } from './cli/runCli.ts';

// Exit explicitly: the engine's socket and k6's REST polling would keep Node alive.
process.exit(await runCli(process.argv.slice(2)));
