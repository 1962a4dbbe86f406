/** The slice of a pino logger the engines use, so the CLI passes its pino instance as is. */
export interface EngineLogger {
  info(context: Record<string, unknown>, message: string): void;
  warn(context: Record<string, unknown>, message: string): void;
  error(context: Record<string, unknown>, message: string): void;
}

export const silentLogger: EngineLogger = { info: () => {}, warn: () => {}, error: () => {} };
