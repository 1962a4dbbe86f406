/**
 * A calibration point for latency and CPU numbers: the cost of one keep-alive HTTP round trip to a
 * trivial Node.js server in another process, on this machine, right now. On a loaded or small
 * machine every other number moves with it, so reports carry it next to their targets.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import openwhisk from 'openwhisk';
import { readCpu } from './proc';
import { rounded, summarize, type Summary } from './stats';

/** The server answers every request with a small JSON body, like an API answering 202. */
const SERVER_SOURCE = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"activationId":"0123456789abcdef0123456789abcdef"}'));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('disconnect', () => process.exit(0));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

export interface HttpBaseline {
  requests: number;
  /** A bare keep-alive `http.request` round trip. */
  roundTripMs: Summary;
  serverCpuMsPerRequest: number;
  /** `openwhisk` client `actions.invoke` against the same trivial server: the client library's own cost. */
  openwhiskClientRoundTripMs: Summary;
}

export async function measureHttpBaseline(requests: number): Promise<HttpBaseline> {
  const child = spawn(process.execPath, ['-e', SERVER_SOURCE], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      child.once('exit', (code) => reject(new Error(`baseline server exited (code ${code})`)));
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const roundTrip = () => new Promise<void>((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'content-type': 'application/json' } }, (response) => {
        response.resume();
        response.on('end', resolve);
      });
      request.on('error', reject);
      request.end('{}');
    });
    for (let i = 0; i < 20; i += 1) await roundTrip();
    const pid = child.pid ?? -1;
    const cpuBefore = readCpu(pid)?.selfMs ?? Number.NaN;
    const samples: number[] = [];
    for (let i = 0; i < requests; i += 1) {
      const started = performance.now();
      await roundTrip();
      samples.push(performance.now() - started);
    }
    const cpuAfter = readCpu(pid)?.selfMs ?? Number.NaN;

    const ow = openwhisk({ apihost: `http://127.0.0.1:${port}`, api_key: 'baseline:baseline', namespace: 'guest', agent });
    const clientSamples: number[] = [];
    for (let i = 0; i < requests + 20; i += 1) {
      const started = performance.now();
      await ow.actions.invoke({ name: 'baseline', blocking: true });
      if (i >= 20) clientSamples.push(performance.now() - started);
    }
    agent.destroy();
    return {
      requests,
      roundTripMs: rounded(summarize(samples)),
      serverCpuMsPerRequest: Math.round(((cpuAfter - cpuBefore) / Math.max(1, requests)) * 1000) / 1000,
      openwhiskClientRoundTripMs: rounded(summarize(clientSamples)),
    };
  } finally {
    child.stdin.end();
    child.kill();
  }
}
