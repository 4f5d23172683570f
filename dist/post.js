import { createRequire as __lgCreateRequire } from 'node:module'; import { fileURLToPath as __lgFileURLToPath } from 'node:url'; import { dirname as __lgDirname } from 'node:path'; const require = __lgCreateRequire(import.meta.url); const __filename = __lgFileURLToPath(import.meta.url); const __dirname = __lgDirname(__filename);
import {
  runPost
} from "./chunks/chunk-5CVHTTL5.js";
import "./chunks/chunk-IYWVO7RV.js";
import "./chunks/chunk-JF25AP6K.js";

// src/post.ts
await runPost();
