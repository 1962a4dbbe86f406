/** The slice of a pino logger the brokers use, so callers pass their pino instance as is. */
export interface StreamLogger {
  warn(context: Record<string, unknown>, message: string): void;
  error(context: Record<string, unknown>, message: string): void;
}
