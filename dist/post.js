import { createRequire as __lgCreateRequire } from 'node:module'; import { fileURLToPath as __lgFileURLToPath } from 'node:url'; import { dirname as __lgDirname } from 'node:path'; const require = __lgCreateRequire(import.meta.url); const __filename = __lgFileURLToPath(import.meta.url); const __dirname = __lgDirname(__filename);
import {
  runPost
} from "./chunks/chunk-GLLW4W2T.js";
import "./chunks/chunk-XGURNKP6.js";
import "./chunks/chunk-JF25AP6K.js";

// src/post.ts
await runPost();
