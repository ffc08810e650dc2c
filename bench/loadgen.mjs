// Closed-loop HTTP/1.1 load generator: C keep-alive connections, N requests in all; prints JSON.
// Written in Node so that the load generator is not the bottleneck of a Python server on 2 cores.
import http from 'node:http';

const [url, total, concurrency, bodyFile] = process.argv.slice(2);
const target = new URL(url);
const body = (await import('node:fs')).readFileSync(bodyFile);
const agent = new http.Agent({ keepAlive: true, maxSockets: +concurrency });
const latencies = [];
let errors = 0;

function once() {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const request = http.request(
      {
        host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
        headers: {
          'content-type': 'application/json', 'content-length': body.length,
          authorization: 'AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=0',
        },
      },
      (response) => {
        response.on('data', () => {});
        response.on('end', () => {
          if (response.statusCode !== 200) errors += 1;
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          resolve();
        });
      },
    );
    request.on('error', () => { errors += 1; resolve(); });
    request.end(body);
  });
}

async function worker(count) { for (let i = 0; i < count; i += 1) await once(); }

const warm = Math.min(200, +total);
await Promise.all(Array.from({ length: +concurrency }, () => worker(Math.ceil(warm / concurrency))));
latencies.length = 0;
const began = performance.now();
await Promise.all(Array.from({ length: +concurrency }, () => worker(Math.ceil(+total / +concurrency))));
const seconds = (performance.now() - began) / 1000;
latencies.sort((a, b) => a - b);
const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))];
console.log(JSON.stringify({ rps: latencies.length / seconds, p50: pick(0.5), p99: pick(0.99), errors, n: latencies.length }));
agent.destroy();
