/** Parses the URL that picks an event stream backend: `kafka://host:port[,host:port]` or `redis://…`. */
import type { StreamBackend } from './event-stream';
import { InvalidStreamUrlError } from './errors';

export type StreamAddress =
  | { readonly backend: 'kafka'; readonly brokers: readonly string[] }
  | { readonly backend: 'redis'; readonly url: string };

const DEFAULT_PORTS: Record<StreamBackend, number> = { kafka: 9092, redis: 6379 };

export function parseStreamUrl(url: string): StreamAddress {
  const match = /^([a-z]+):\/\/(.*)$/i.exec(url.trim());
  const scheme = match?.[1]?.toLowerCase();
  const rest = match?.[2] ?? '';
  if (scheme === 'kafka') {
    // Several bootstrap brokers are comma-separated, which new URL() cannot parse, so split by hand.
    const hostList = rest.split('/')[0] ?? '';
    const brokers = hostList.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0)
      .map((entry) => (/:\d+$/.test(entry) ? entry : `${entry}:${DEFAULT_PORTS.kafka}`));
    if (brokers.length === 0) throw new InvalidStreamUrlError(url, 'expected kafka://host:port[,host:port...]');
    return { backend: 'kafka', brokers };
  }
  if (scheme === 'redis' || scheme === 'rediss') {
    let parsed: URL;
    try {
      parsed = new URL(url.trim());
    } catch {
      throw new InvalidStreamUrlError(url, 'expected redis://[user:password@]host:port[/db]');
    }
    if (!parsed.hostname) throw new InvalidStreamUrlError(url, 'expected redis://[user:password@]host:port[/db]');
    return { backend: 'redis', url: url.trim() };
  }
  throw new InvalidStreamUrlError(url, 'expected a kafka:// or redis:// URL');
}
