import { DomainError } from '../../../domain/shared/errors.ts';
import { ok, type HandlerContext, type Reply } from '../../http/types.ts';
import { accountNamespace, bucketNamespace } from '../../http/namespaces.ts';

/**
 * Zuplo's MCP servers (`/mcp` for the API, `/mcp/docs` for the docs) over JSON-RPC 2.0 and plain
 * JSON responses (streamable HTTP without SSE). The API server's tools read the emulator's state.
 */
const PROTOCOL_VERSION = '2025-03-26';

interface Tool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  call(c: HandlerContext, args: Record<string, unknown>): unknown;
}

const str = (args: Record<string, unknown>, k: string): string => {
  const v = args[k];
  if (typeof v !== 'string' || !v) throw new RpcError(-32602, `argument '${k}' (string) is required`);
  return v;
};

const API_TOOLS: Tool[] = [
  {
    name: 'list_meters',
    description: 'List the meters of a metering bucket',
    inputSchema: { type: 'object', properties: { bucketId: { type: 'string' } }, required: ['bucketId'] },
    call: (c, a) => c.readIn(bucketNamespace(str(a, 'bucketId')), (tx) => c.services.metering.listMeters(tx, { pageSize: 1000 }).items.map((m) => ({ id: m.id, slug: m.key, name: m.name, aggregation: m.aggregation, eventType: m.eventType }))),
  },
  {
    name: 'query_meter',
    description: 'Query usage of a meter in a metering bucket',
    inputSchema: {
      type: 'object',
      properties: { bucketId: { type: 'string' }, meter: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, windowSize: { type: 'string', enum: ['MINUTE', 'HOUR', 'DAY', 'MONTH'] }, subject: { type: 'array', items: { type: 'string' } } },
      required: ['bucketId', 'meter'],
    },
    call: (c, a) =>
      c.readIn(bucketNamespace(str(a, 'bucketId')), (tx) =>
        c.services.metering.queryMeter(tx, str(a, 'meter'), {
          ...(typeof a.from === 'string' ? { from: a.from } : {}),
          ...(typeof a.to === 'string' ? { to: a.to } : {}),
          ...(typeof a.windowSize === 'string' ? { windowSize: a.windowSize } : {}),
          ...(Array.isArray(a.subject) ? { subject: a.subject.map(String) } : {}),
        }),
      ),
  },
  {
    name: 'lookup_api_key',
    description: 'Find the consumer and bucket an API key belongs to (and whether it is valid now)',
    inputSchema: { type: 'object', properties: { key: { type: 'string' }, accountName: { type: 'string' } }, required: ['key'] },
    call: (c, a) => {
      const account = typeof a.accountName === 'string' && a.accountName ? a.accountName : c.services.platform.account().name;
      const hit = c.readIn(accountNamespace(account), (tx) => c.services.apiKeys.authenticateKey(tx, str(a, 'key')));
      return hit ? { valid: true, bucket: hit.bucket.name, bucketId: hit.bucket.id, consumer: hit.consumer.name, consumerId: hit.consumer.id, keyId: hit.apiKey.id, expiresOn: hit.apiKey.expiresOn } : { valid: false };
    },
  },
];

const DOCS_TOOLS: Tool[] = [
  {
    name: 'search_docs',
    description: 'Search the Zuplo documentation (the emulator answers with pointers to zuplo.com/docs)',
    inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
    call: (_c, a) => ({ results: [{ title: `Zuplo docs: ${str(a, 'query')}`, url: `https://zuplo.com/docs/search?q=${encodeURIComponent(str(a, 'query'))}` }] }),
  },
];

class RpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

const rpcError = (id: unknown, code: number, message: string) => ({ jsonrpc: '2.0', id: id ?? null, error: { code, message } });

function answer(c: HandlerContext, tools: Tool[], serverName: string, msg: unknown): Record<string, unknown> | null {
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return rpcError(null, -32600, 'Invalid Request');
  const m = msg as Record<string, unknown>;
  const id = m.id;
  if (m.jsonrpc !== '2.0' || typeof m.method !== 'string') return rpcError(id, -32600, 'Invalid Request');
  // notifications (no id) get no answer
  if (id === undefined) return null;
  try {
    switch (m.method) {
      case 'initialize':
        return { jsonrpc: '2.0', id, result: { protocolVersion: PROTOCOL_VERSION, capabilities: { tools: { listChanged: false } }, serverInfo: { name: serverName, version: '1.0.0' } } };
      case 'ping':
        return { jsonrpc: '2.0', id, result: {} };
      case 'tools/list':
        return { jsonrpc: '2.0', id, result: { tools: tools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })) } };
      case 'tools/call': {
        const params = (m.params ?? {}) as { name?: unknown; arguments?: unknown };
        const tool = tools.find((t) => t.name === params.name);
        if (!tool) throw new RpcError(-32602, `unknown tool: ${String(params.name)}`);
        try {
          const out = tool.call(c, (params.arguments ?? {}) as Record<string, unknown>);
          return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: JSON.stringify(out) }], structuredContent: out, isError: false } };
        } catch (err) {
          // MCP reports tool failures as results, so the model can read them
          if (err instanceof DomainError) return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: err.message }], isError: true } };
          throw err;
        }
      }
      default:
        throw new RpcError(-32601, `Method not found: ${m.method}`);
    }
  } catch (err) {
    if (err instanceof RpcError) return rpcError(id, err.code, err.message);
    throw err;
  }
}

function serve(c: HandlerContext, tools: Tool[], serverName: string): Reply {
  const body = c.body;
  if (Array.isArray(body)) {
    if (body.length === 0) return ok(rpcError(null, -32600, 'Invalid Request'));
    const out = body.map((m) => answer(c, tools, serverName, m)).filter((x) => x !== null);
    return out.length > 0 ? ok(out) : { status: 202 };
  }
  const one = answer(c, tools, serverName, body);
  return one ? ok(one) : { status: 202 };
}

export const mcpApi = (c: HandlerContext): Reply => serve(c, API_TOOLS, 'zuplo-developer-api');
export const mcpDocs = (c: HandlerContext): Reply => serve(c, DOCS_TOOLS, 'zuplo-docs');
