/** What the orchestrator asks the engine to start: plain data, resolved from the config. */
export type WaitSpec =
  | { kind: 'http'; path: string; port: number }
  | { kind: 'log'; message: string; times: number }
  | { kind: 'port' }
  /** a shell command run in the container until it exits 0; `shown` is how messages name it (no secret) */
  | { kind: 'command'; command: string; shown: string };

export interface ImageSource {
  /** an image to run as it is */
  image?: string;
  /** or a Dockerfile to build: context absolute, dockerfile relative to it */
  build?: {
    context: string;
    dockerfile: string;
    args: Record<string, string>;
    /** the stage of a multi-stage Dockerfile to build (default its last) */
    target?: string;
  };
}

export interface ContainerSpec extends ImageSource {
  /** also its network alias: other containers reach it by this name */
  name: string;
  /** container ports; each is mapped to a free port on 127.0.0.1 */
  ports: number[];
  env: Record<string, string>;
  command?: string[];
  wait: WaitSpec;
  startupTimeoutMs: number;
}
