/**
 * A pass-through proxy in front of moto_server for Terraform's AWS provider, correcting the one answer of
 * moto 5.2 the provider cannot decode: SES v2 `GetConfigurationSet` returns
 * `"SendingOptions": {"SendingEnabled": {"SendingEnabled": true}}` where AWS returns
 * `"SendingOptions": {"SendingEnabled": true}`, and the provider fails reading the configuration set back
 * after creating it ("expected Enabled to be of type *bool, got map[string]interface {}").
 *
 * And SQS's `RedriveAllowPolicy`: moto 5.2 accepts it (`SetQueueAttributes`, `CreateQueue`, JSON protocol as
 * the provider's SDK speaks it: `X-Amz-Target: AmazonSQS.…`) but never returns it from `GetQueueAttributes`:
 * not for `All`, and asked by name it answers `400 InvalidAttributeName: Unknown Attribute
 * RedriveAllowPolicy`, which fails `aws_sqs_queue_redrive_allow_policy` (before, without the name, its waiter
 * never saw the value and timed out). The proxy remembers the value written per queue, asks moto for the
 * other names (for `QueueArn` when it was the only one: the queue must still exist) and adds the value to
 * the answer; an empty value removes it, as SQS does.
 * Everything else is forwarded byte for byte. Test support only: the stack is never changed to suit the
 * emulator.
 *
 * For a `terraform apply` of a stack on moto (give the proxy's endpoint to test/support/terraform.ts
 * `pointAtMoto`): test/terraform/apply-dev-on-moto.ts, run by hand (minutes: not in `npm test`, see
 * test/terraform/stacks.test.ts); the corrections' unit tests are in test/terraform/support.test.ts.
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

/** What the proxy knows of SQS queues' `RedriveAllowPolicy` (moto keeps it but does not return it). */
export class RedriveAllowPolicies {
  private readonly byQueue = new Map<string, string>();

  /** A `CreateQueue` or `SetQueueAttributes` request body (JSON protocol): remembers the policy it sets. */
  written(body: string): void {
    let input: { QueueUrl?: string; QueueName?: string; Attributes?: Record<string, string> };
    try {
      input = JSON.parse(body) as typeof input;
    } catch {
      return;
    }
    const value = input.Attributes?.RedriveAllowPolicy;
    const queue = input.QueueUrl ?? input.QueueName;
    if (value === undefined || queue === undefined) return;
    if (value === '') this.byQueue.delete(queueName(queue));
    else this.byQueue.set(queueName(queue), value);
  }

  /**
   * A `GetQueueAttributes` answer with the remembered policy added when the request asked for it (or for
   * `All`) and moto left it out; undefined when there is nothing to add.
   */
  correct(requestBody: string, answerBody: string): string | undefined {
    let input: { QueueUrl?: string; AttributeNames?: string[] };
    let answer: { Attributes?: Record<string, string> };
    try {
      input = JSON.parse(requestBody) as typeof input;
      answer = JSON.parse(answerBody) as typeof answer;
    } catch {
      return undefined;
    }
    const value = input.QueueUrl === undefined ? undefined : this.byQueue.get(queueName(input.QueueUrl));
    const names = input.AttributeNames ?? [];
    const asked = names.some((n) => n === 'All' || n === 'RedriveAllowPolicy');
    if (!asked || answer.Attributes?.RedriveAllowPolicy !== undefined) return undefined;
    const attributes = { ...(answer.Attributes ?? {}) };
    // `QueueArn` only stood in for the policy asked alone (see withoutRedriveAllowPolicy).
    if (names.length === 1 && names[0] === 'RedriveAllowPolicy') delete attributes.QueueArn;
    if (value !== undefined) attributes.RedriveAllowPolicy = value;
    else if (!(names.length === 1 && names[0] === 'RedriveAllowPolicy')) return undefined;
    return JSON.stringify({ ...answer, Attributes: attributes });
  }
}

/**
 * The `GetQueueAttributes` request body to send to moto: without `RedriveAllowPolicy`, which moto refuses
 * by name (`QueueArn` instead when nothing else was asked); undefined when it was not asked for.
 */
export function withoutRedriveAllowPolicy(body: string): string | undefined {
  let input: { AttributeNames?: string[] };
  try {
    input = JSON.parse(body) as typeof input;
  } catch {
    return undefined;
  }
  const names = input.AttributeNames ?? [];
  if (!names.includes('RedriveAllowPolicy')) return undefined;
  const rest = names.filter((n) => n !== 'RedriveAllowPolicy');
  return JSON.stringify({ ...input, AttributeNames: rest.length > 0 ? rest : ['QueueArn'] });
}

/** A queue URL or name → the queue's name (the provider and moto may spell the URL's host differently). */
function queueName(urlOrName: string): string {
  return urlOrName.slice(urlOrName.lastIndexOf('/') + 1);
}

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
  const redrive = new RedriveAllowPolicies();
  const server: Server = createServer((incoming, outgoing) => {
    const target = String(incoming.headers['x-amz-target'] ?? '');
    const sqs = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : undefined;
    const send = (requestBody?: Buffer) => {
      // GetQueueAttributes: RedriveAllowPolicy is asked of the proxy, the rest of moto.
      const rewritten =
        sqs === 'GetQueueAttributes' && requestBody !== undefined
          ? withoutRedriveAllowPolicy(requestBody.toString('utf8'))
          : undefined;
      const sent = rewritten !== undefined ? Buffer.from(rewritten, 'utf8') : requestBody;
      const headers =
        sent === undefined ? incoming.headers : { ...incoming.headers, 'content-length': String(sent.length) };
      const forward = request(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers,
        },
        (answer) => {
          const fixSes =
            incoming.method === 'GET' && GET_CONFIGURATION_SET.test(incoming.url ?? '') && answer.statusCode === 200;
          const fixSqs = sqs === 'GetQueueAttributes' && answer.statusCode === 200 && requestBody !== undefined;
          if (!fixSes && !fixSqs) {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
            return;
          }
          readAll(answer).then(
            (body) => {
              const text = body.toString('utf8');
              const corrected = fixSes
                ? correctConfigurationSet(text)
                : redrive.correct(requestBody!.toString('utf8'), text);
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
      if (sent === undefined) incoming.pipe(forward);
      else forward.end(sent);
    };
    if (sqs === undefined || !['CreateQueue', 'SetQueueAttributes', 'GetQueueAttributes'].includes(sqs)) {
      send();
      return;
    }
    readAll(incoming).then(
      (body) => {
        if (sqs !== 'GetQueueAttributes') redrive.written(body.toString('utf8'));
        send(body);
      },
      (error: Error) => outgoing.destroy(error),
    );
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
