// The part of the `dns2` package (no bundled types) the test DNS server uses.
declare module 'dns2' {
  export const Packet: {
    createResponseFromRequest(request: unknown): {
      header: { aa: number; ra: number; tc: number; rcode: number };
      questions: { name: string; type: number }[];
      answers: unknown[];
      authorities: unknown[];
    };
    TYPE: Record<string, number>;
    CLASS: { IN: number };
  };
  type Handler = (request: unknown, send: (response: unknown) => void, client: unknown) => void;
  export function createUDPServer(
    handler: Handler,
  ): import('node:dgram').Socket & { listen(port: number, address: string): Promise<void> };
  export function createTCPServer(handler: Handler): import('node:net').Server;
}
