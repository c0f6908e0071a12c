/**
 * A pass-through proxy in front of moto_server for Terraform's AWS provider, correcting the one answer of
 * moto 5.2 the provider cannot decode: SES v2 `GetConfigurationSet` returns
 * `"SendingOptions": {"SendingEnabled": {"SendingEnabled": true}}` where AWS returns
 * `"SendingOptions": {"SendingEnabled": true}`, and the provider fails reading the configuration set back
 * after creating it ("expected Enabled to be of type *bool, got map[string]interface {}"). Everything else is
 * forwarded byte for byte. Test support only: the stack is never changed to suit the emulator.
 *
 * For a `terraform apply` of a stack on moto (give the proxy's endpoint to test/support/terraform.ts `pointAtMoto`); `npm test`
 * does not apply (see test/terraform/stacks.test.ts), its unit test is in test/terraform/support.test.ts.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MotoProxy {
  /** `http://127.0.0.1:<port>`: give it to the provider's `endpoints` instead of moto's. */
  readonly endpoint: string;
  /** How many answers were corrected (a test can show the workaround was needed). */
  readonly corrections: () => number;
  stop(): Promise<void>;
}

const GET_CONFIGURATION_SET = /^\/v2\/email\/configuration-sets\/[^/?]+(\?.*)?$/;

/** The SES v2 configuration set as AWS shapes it: `SendingOptions.SendingEnabled` a boolean. */
export function correctConfigurationSet(body: string): string | undefined {
  let parsed: { SendingOptions?: { SendingEnabled?: unknown } };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return undefined;
  }
  const enabled = parsed.SendingOptions?.SendingEnabled;
  if (enabled === null || typeof enabled !== 'object' || !('SendingEnabled' in enabled)) return undefined;
  parsed.SendingOptions!.SendingEnabled = (enabled as { SendingEnabled: unknown }).SendingEnabled;
  return JSON.stringify(parsed);
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Starts the proxy on a free loopback port, forwarding to `target` (moto's endpoint). */
export async function startMotoProxy(target: string): Promise<MotoProxy> {
  const upstream = new URL(target);
  let corrections = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const forward = request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        const fix =
          incoming.method === 'GET' && GET_CONFIGURATION_SET.test(incoming.url ?? '') && answer.statusCode === 200;
        if (!fix) {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
          return;
        }
        readAll(answer).then(
          (body) => {
            const corrected = correctConfigurationSet(body.toString('utf8'));
            if (corrected !== undefined) corrections++;
            const payload = corrected !== undefined ? Buffer.from(corrected, 'utf8') : body;
            const headers = { ...answer.headers, 'content-length': String(payload.length) };
            delete headers['transfer-encoding'];
            outgoing.writeHead(answer.statusCode ?? 200, headers);
            outgoing.end(payload);
          },
          (error: Error) => outgoing.destroy(error),
        );
      },
    );
    forward.on('error', (error) => {
      outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`moto proxy: ${error.message}`);
    });
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    corrections: () => corrections,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
