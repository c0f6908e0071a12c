/**
 * Asking one DNS server one question: UDP with a per-try timeout and retries, TCP when the answer is
 * truncated, and a check that the response answers our question (id and name) before it is believed.
 */
import { createSocket } from 'node:dgram';
import { isIP, connect } from 'node:net';
import { randomInt } from 'node:crypto';
import { decodeResponse, DnsFormatError, encodeQuery, normaliseName, type DnsResponse } from './dns-message';
import { ValidationError } from '../core/errors';

/** A DNS server's address. */
export interface DnsServerAddress {
  readonly host: string;
  readonly port: number;
}

export interface QueryOptions {
  /** Milliseconds to wait for each try. */
  readonly timeoutMs: number;
  /** Further tries after the first one times out. */
  readonly retries: number;
  /** Set for recursive resolvers, unset for authoritative servers. */
  readonly recursionDesired: boolean;
}

/**
 * Why a server gave no usable response. `unreachable`: no DNS response at all, with the system error in
 * `socketError` (`ENOTFOUND`: the server's name does not resolve; `ECONNREFUSED`: nothing listens there,
 * an ICMP port unreachable; `EHOSTUNREACH`/`ENETUNREACH`: no route). A DNS answer with rcode REFUSED is
 * a response, not one of these.
 */
export class DnsTransportError extends Error {
  constructor(
    public readonly kind: 'timeout' | 'unreachable' | 'bad-response',
    message: string,
    public readonly socketError?: string,
  ) {
    super(message);
    this.name = 'DnsTransportError';
  }
}

/** getaddrinfo's codes for a name that does not resolve (now, or at all). */
const NAME_NOT_RESOLVED = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL']);

/** True when `code` says the server's host name could not be resolved to an address. */
export function isNameNotResolved(code: string | undefined): boolean {
  return code !== undefined && NAME_NOT_RESOLVED.has(code);
}

function unreachable(server: DnsServerAddress, error: NodeJS.ErrnoException): DnsTransportError {
  const code = error.code ?? 'socket error';
  const where = formatServerAddress(server);
  const message = isNameNotResolved(error.code)
    ? `the server name ${server.host} does not resolve to an address (${code})`
    : code === 'ECONNREFUSED'
      ? `connection refused by ${where} (${code}: nothing serves DNS there)`
      : `cannot reach ${where} (${code}: ${error.message})`;
  return new DnsTransportError('unreachable', message, error.code);
}

/** Sends one query and returns the server's response (whatever its rcode). Injectable for tests. */
export type DnsTransport = (
  server: DnsServerAddress,
  name: string,
  type: number,
  options: QueryOptions,
) => Promise<DnsResponse>;

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address; port 53 unless given. */
export function parseServerAddress(text: string, defaultPort = 53): DnsServerAddress {
  const trimmed = text.trim();
  let host = trimmed;
  let port = defaultPort;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2]) port = Number(bracketed[2]);
  } else if (isIP(trimmed) !== 6) {
    const colon = trimmed.lastIndexOf(':');
    if (colon >= 0) {
      host = trimmed.slice(0, colon);
      port = Number(trimmed.slice(colon + 1));
    }
  }
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535 || /\s/.test(host)) {
    throw new ValidationError(
      'INVALID_DNS_SERVER',
      `DNS server ${JSON.stringify(text)} must be HOST or HOST:PORT (e.g. 8.8.8.8 or 127.0.0.1:5300)`,
      'server',
    );
  }
  return { host, port };
}

export function formatServerAddress(server: DnsServerAddress): string {
  return isIP(server.host) === 6 ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

function answersQuestion(response: DnsResponse, id: number, name: string, type: number): boolean {
  return (
    response.id === id &&
    (response.question === undefined ||
      (normaliseName(response.question.name) === normaliseName(name) && response.question.type === type))
  );
}

function udpTry(server: DnsServerAddress, query: Buffer, id: number, name: string, type: number, timeoutMs: number) {
  return new Promise<DnsResponse>((resolve, reject) => {
    const socket = createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish(new DnsTransportError('timeout', 'no answer in time')), timeoutMs);
    let done = false;
    function finish(error: Error | undefined, response?: DnsResponse) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(response!);
    }
    socket.on('error', (error: NodeJS.ErrnoException) => finish(unreachable(server, error)));
    socket.on('message', (message) => {
      try {
        const response = decodeResponse(message);
        if (answersQuestion(response, id, name, type)) finish(undefined, response);
        // Anything else is a late answer to an earlier try or a stray packet: keep waiting.
      } catch (error) {
        if (error instanceof DnsFormatError) {
          finish(new DnsTransportError('bad-response', `malformed response: ${error.message}`));
        } else finish(error as Error);
      }
    });
    // The callback gets the error when the name does not resolve; sending then would throw (no port).
    socket.connect(server.port, server.host, (error?: Error) => {
      if (error) finish(unreachable(server, error as NodeJS.ErrnoException));
      else socket.send(query);
    });
  });
}

function tcpQuery(server: DnsServerAddress, query: Buffer, id: number, name: string, type: number, timeoutMs: number) {
  return new Promise<DnsResponse>((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    const chunks: Buffer[] = [];
    let done = false;
    const timer = setTimeout(() => finish(new DnsTransportError('timeout', 'no answer in time over TCP')), timeoutMs);
    function finish(error: Error | undefined, response?: DnsResponse) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(response!);
    }
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(query.length);
      socket.write(Buffer.concat([length, query]));
    });
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const data = Buffer.concat(chunks);
      if (data.length < 2 || data.length < 2 + data.readUInt16BE(0)) return;
      try {
        const response = decodeResponse(data.subarray(2, 2 + data.readUInt16BE(0)));
        if (answersQuestion(response, id, name, type)) finish(undefined, response);
        else finish(new DnsTransportError('bad-response', 'the TCP response answers another question'));
      } catch (error) {
        finish(new DnsTransportError('bad-response', `malformed response: ${(error as Error).message}`));
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish(unreachable(server, error)));
    socket.on('end', () => finish(new DnsTransportError('bad-response', 'the server closed the TCP connection')));
  });
}

/** The real transport: UDP, retried on timeout, then TCP when the UDP answer is truncated. */
export const udpTcpTransport: DnsTransport = async (server, name, type, options) => {
  const id = randomInt(0, 0x10000);
  const query = encodeQuery(id, name, type, options.recursionDesired);
  let lastError: Error = new DnsTransportError('timeout', 'no answer in time');
  for (let attempt = 0; attempt <= options.retries; attempt += 1) {
    try {
      const response = await udpTry(server, query, id, name, type, options.timeoutMs);
      return response.tc ? await tcpQuery(server, query, id, name, type, options.timeoutMs) : response;
    } catch (error) {
      lastError = error as Error;
      if (!(error instanceof DnsTransportError) || error.kind !== 'timeout') throw error;
    }
  }
  throw lastError;
};
