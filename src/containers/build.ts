import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join, normalize, relative, sep } from 'node:path';
import dockerignore from '@balena/dockerignore';
import tar from 'tar-fs';
import { getContainerRuntimeClient } from 'testcontainers';
import { errorMessage, InfraError } from '../errors.ts';
import { redact } from '../redact.ts';
import { lastLines } from './logs.ts';
import type { ImageSource } from './spec.ts';

/**
 * Image builds through the engine's build API, with their output kept: every line goes to a log
 * file (secrets redacted) and a failed build's error carries its last lines. Testcontainers'
 * own build reads the output only for its debug log and reports a failure as "Failed to build
 * image" (or not at all, when an earlier build left the tag behind).
 */

/** How many lines of a failed build's output its error message carries. */
export const BUILD_FAILURE_LINES = 30;

export type BuildSpec = NonNullable<ImageSource['build']>;

/** One message of the build API's JSON stream, as far as loadgate reads it. */
interface BuildMessage {
  stream?: string;
  status?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * What a build's JSON stream says, line by line: the text to log and the error, if any. Pure,
 * so the engines' recorded streams can be fed to it.
 */
export class BuildOutput {
  private pending = '';
  private text = '';
  error: string | null = null;

  /** A chunk of the stream (JSON objects, one per line, split anywhere); returns the text to log. */
  add(chunk: string): string {
    this.pending += chunk;
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    return lines.map((line) => this.line(line)).join('');
  }

  /** The end of the stream: what was left, and the whole text. */
  end(): string {
    const rest = this.pending.trim() === '' ? '' : this.line(this.pending);
    this.pending = '';
    return rest;
  }

  /** Everything logged so far. */
  get log(): string {
    return this.text;
  }

  private line(raw: string): string {
    const line = raw.trim();
    if (line === '') return '';
    let message: BuildMessage;
    try {
      message = JSON.parse(line) as BuildMessage;
    } catch {
      return this.keep(`${line}\n`);
    }
    if (message.error !== undefined || message.errorDetail?.message !== undefined) {
      const error = (message.errorDetail?.message ?? message.error ?? 'the build failed').trim();
      this.error ??= error;
      return this.keep(`ERROR: ${error}\n`);
    }
    if (message.stream !== undefined) return this.keep(message.stream);
    if (message.status !== undefined)
      return this.keep(`${message.status}${message.progress ? ` ${message.progress}` : ''}\n`);
    return '';
  }

  private keep(text: string): string {
    this.text += text;
    return text;
  }
}

/**
 * Builds `spec` as `tag`, writing the build's whole output to `logFile`. Throws InfraError with
 * the engine's error and the last BUILD_FAILURE_LINES lines of the output when it fails.
 */
export async function buildImage(
  spec: BuildSpec,
  tag: string,
  logFile: string,
  signal?: AbortSignal,
): Promise<void> {
  const what = `building ${spec.dockerfile} in ${spec.context}${spec.target ? ` (stage ${spec.target})` : ''}`;
  if (!existsSync(join(spec.context, spec.dockerfile))) {
    throw new InfraError(`${what} failed: there is no ${spec.dockerfile} in ${spec.context}`);
  }
  const log = await open(logFile, 'w');
  const output = new BuildOutput();
  try {
    const client = await getContainerRuntimeClient();
    const context = tar.pack(spec.context, await packOptions(spec.context, spec.dockerfile));
    let stream: NodeJS.ReadableStream;
    try {
      stream = await client.container.dockerode.buildImage(context as unknown as NodeJS.ReadableStream, {
        t: tag,
        dockerfile: spec.dockerfile,
        buildargs: spec.args,
        ...(spec.target !== undefined ? { target: spec.target } : {}),
        ...(signal ? { abortSignal: signal } : {}),
      });
    } catch (error) {
      // refused before it started (a bad Dockerfile name, an engine error): its message says why
      const message = redact(errorMessage(error));
      await log.write(`ERROR: ${message}\n`);
      throw new InfraError(`${what} failed: ${message}`, { cause: error });
    }
    for await (const chunk of stream) {
      const text = output.add(typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8'));
      if (text) await log.write(redact(text));
    }
    const rest = output.end();
    if (rest) await log.write(redact(rest));
  } catch (error) {
    if (error instanceof InfraError) throw error;
    throw new InfraError(`${what} failed: ${redact(errorMessage(error))}`, { cause: error });
  } finally {
    await log.close();
  }
  if (output.error !== null) {
    const tail = redact(lastLines(output.log, BUILD_FAILURE_LINES));
    throw new InfraError(
      `${what} failed: ${redact(output.error)}\nlast ${BUILD_FAILURE_LINES} lines of the build output (all of it in ${logFile}):\n${tail}`,
    );
  }
}

/** tar-fs options for the context: what .dockerignore leaves in, the Dockerfile always. */
async function packOptions(context: string, dockerfile: string): Promise<tar.PackOptions> {
  const ignoreFile = join(context, '.dockerignore');
  if (!existsSync(ignoreFile)) return {};
  // CommonJS with a typed default: the factory is module.exports and its own .default
  const rules = dockerignore.default({ ignorecase: false });
  rules.add(await readFile(ignoreFile, 'utf8'));
  const wanted = normalize(dockerfile).split(sep).join('/');
  return {
    ignore: (name: string) => {
      const path = relative(context, name).split(sep).join('/');
      return path !== '' && path !== wanted && rules.ignores(path);
    },
  };
}
