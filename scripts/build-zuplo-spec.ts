/**
 * Builds specs/zuplo.yaml (the Zuplo Developer API surface of localmeter) from
 *   - the vendor Zuplo Developer API document (45 operations + component schemas),
 *   - the OpenMeter v1 document (the V3 metering routes, re-homed under /v3/metering/{bucketId}),
 *   - hand-written additions in specs/src/zuplo-extra.yaml and specs/src/zuplo-monetization.yaml
 *     (the monetization routes of a bucket and the gateway service),
 *   - the developer-portal routes of the gateway service in specs/src/zuplo-portal.yaml.
 *
 * Vendor prose (descriptions, summaries, examples, x- extensions) is stripped; summaries are ours.
 * Two ajv quirks of the OpenMeter document are fixed on the way (see conventions §5).
 *
 * Usage: npx tsx scripts/build-zuplo-spec.ts [--ref /work/shared/reference]
 * (or REFERENCE_DIR=...). The output is committed; CI does not need the reference directory.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argRef = process.argv.indexOf('--ref');
const refDir: string =
  (argRef > 0 ? process.argv[argRef + 1] : undefined) ?? process.env.REFERENCE_DIR ?? '/work/shared/reference';

const load = (p: string): Json => YAML.parse(readFileSync(p, 'utf8'), { maxAliasCount: -1 });
const zuplo = load(join(refDir, 'vendor/zuplo-developer-api.openapi.yaml'));
const om = load(join(refDir, 'vendor/openmeter-v1.openapi.yaml'));
const extra = load(join(root, 'specs/src/zuplo-extra.yaml'));
const monetization = load(join(root, 'specs/src/zuplo-monetization.yaml'));
const portal = load(join(root, 'specs/src/zuplo-portal.yaml'));

const clone = <T>(x: T): T => structuredClone(x);
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

// ---------------------------------------------------------------------------
// Strip vendor prose. Keys of name-maps (properties, schemas, responses, ...) are data, not keywords.
const PROSE = new Set(['description', 'summary', 'example', 'examples', 'externalDocs', 'title']);
const NAME_MAPS = new Set([
  'properties',
  'patternProperties',
  'schemas',
  'parameters',
  'responses',
  'headers',
  'content',
  'paths',
  'mapping',
  'securitySchemes',
  'requestBodies',
  'encoding',
  'links',
  'callbacks',
]);
function strip(node: Json, parentKey = ''): Json {
  if (Array.isArray(node)) return node.map((n) => strip(n, ''));
  if (node === null || typeof node !== 'object') return node;
  const isNameMap = NAME_MAPS.has(parentKey) && !(parentKey === 'parameters' && Array.isArray(node));
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (!isNameMap && (PROSE.has(k) || k.startsWith('x-'))) {
      // keep schema keywords that are not prose even if they look like it: none in practice
      continue;
    }
    // `default`/`enum`/`const` values are data: copy as-is
    if (!isNameMap && (k === 'default' || k === 'enum' || k === 'const' || k === 'required')) {
      out[k] = clone(v);
      continue;
    }
    out[k] = strip(v, k);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Summaries (our own wording)
const SUMMARY: Record<string, string> = {
  MCPService_post: 'Docs MCP server (JSON-RPC)',
  openApi: 'This OpenAPI document',
  AuditLogsService_list: 'Query account audit logs',
  CustomDomainsService_list: 'List custom domains',
  CustomDomainsService_create: 'Add a custom domain',
  CustomDomainsService_update: 'Re-point a custom domain',
  CustomDomainsService_delete: 'Remove a custom domain',
  ApiKeyBucketsService_list: 'List API-key buckets',
  ApiKeyBucketsService_create: 'Create an API-key bucket',
  ApiKeyBucketsService_read: 'Get an API-key bucket',
  ApiKeyBucketsService_update: 'Update an API-key bucket',
  ApiKeyBucketsService_delete: 'Delete an API-key bucket',
  ApiKeyConsumersService_list: 'List consumers of a bucket',
  ApiKeyConsumersService_create: 'Create a consumer',
  ApiKeyConsumersService_read: 'Get a consumer',
  ApiKeyConsumersService_update: 'Update a consumer',
  ApiKeyConsumersService_delete: 'Delete a consumer',
  ApiKeyConsumersService_rollKey: "Roll a consumer's keys",
  ApiKeyKeysService_list: 'List keys of a consumer',
  ApiKeyKeysService_create: 'Create an API key',
  ApiKeyKeysService_bulkCreate: 'Create several API keys',
  ApiKeyKeysService_get: 'Get an API key',
  ApiKeyKeysService_update: 'Update an API key',
  ApiKeyKeysService_delete: 'Delete an API key',
  ApiKeyConsumerManagers_list: 'List managers of a consumer',
  ApiKeyConsumerManagers_create: 'Add a manager to a consumer',
  ApiKeyConsumerManagers_delete: 'Remove a manager',
  VariablesService_create: 'Create an environment variable',
  VariablesService_update: 'Change an environment variable',
  V1_deploymentStatus: 'Status of an uploaded deployment',
  DeploymentsService_list: 'List deployments of a project',
  TunnelService_list: 'List tunnels',
  TunnelService_create: 'Create a tunnel',
  TunnelService_read: 'Get a tunnel',
  TunnelService_delete: 'Tear down a tunnel',
  TunnelService_update: "Rotate a tunnel's token",
  TunneledServicesService_getProvisioningStatus: 'Status of a services provisioning',
  TunneledServicesService_getServiceConfiguration: "Get a tunnel's services configuration",
  TunneledServicesService_putServiceConfiguration: "Replace a tunnel's services configuration",
  TunnelService_getProvisioningStatus: 'Status of a tunnel teardown',
  DeployService_sources: 'Request an upload URL for deployment sources',
  DeploymentsService_read: 'Get a deployment',
  DeploymentsService_delete: 'Delete a deployment',
  DeployService_redeploy: 'Re-deploy a deployment',
  V1_whoAmI: 'Identity behind the credentials',
  MeteringFeaturesService_list: 'List features',
  MeteringFeaturesService_create: 'Create a feature',
  MeteringFeaturesService_get: 'Get a feature',
  MeteringFeaturesService_delete: 'Archive a feature',
  MeteringMetersService_list: 'List meters',
  MeteringMetersService_create: 'Create a meter',
  MeteringMetersService_get: 'Get a meter',
  MeteringMetersService_update: 'Update a meter',
  MeteringMetersService_delete: 'Delete a meter',
  MeteringMetersService_listGroupByValues: 'Distinct values of a meter group-by key',
  MeteringMetersService_query: 'Query meter usage',
  MeteringMetersService_queryPost: 'Query meter usage (body)',
  MeteringPlansService_list: 'List plans',
  MeteringPlansService_create: 'Create a draft plan',
  MeteringPlansService_get: 'Get a plan',
  MeteringPlansService_update: 'Replace a draft plan',
  MeteringPlansService_delete: 'Delete a plan',
  MeteringPlansService_archive: 'Archive a plan version',
  MeteringPlansService_publish: 'Publish a plan version',
  MeteringCustomersService_list: 'List customers',
  MeteringCustomersService_create: 'Create a customer',
  MeteringCustomersService_get: 'Get a customer',
  MeteringCustomersService_update: 'Replace a customer',
  MeteringCustomersService_delete: 'Delete a customer',
  MeteringCustomersService_listSubscriptions: "List a customer's subscriptions",
  MeteringSubscriptionsService_get: 'Get a subscription',
  MeteringSubscriptionsService_change: 'Change the plan of a subscription',
  MeteringSubscriptionsService_cancel: 'Cancel a subscription',
  MeteringSubscriptionsService_unscheduleCancelation: 'Resume a canceled subscription',
  MeteringSubscriptionsService_restore: 'Restore a subscription (deprecated)',
  MeteringBillingProfilesService_list: 'List billing profiles',
  MeteringBillingProfilesService_get: 'Get a billing profile',
  MeteringBillingProfilesService_update: 'Replace a billing profile',
  MeteringInvoicesService_list: 'List invoices',
  MeteringInvoicesService_get: 'Get an invoice',
  MeteringAppsService_update: 'Update an app',
};

// ---------------------------------------------------------------------------
// OpenMeter v1 operations re-homed under /v3/metering/{bucketId}
const METERING: Array<[string, string, string, string]> = [
  // [om path, method, our operationId, tag]
  ['/api/v1/features', 'get', 'MeteringFeaturesService_list', 'Metering - Features'],
  ['/api/v1/features', 'post', 'MeteringFeaturesService_create', 'Metering - Features'],
  ['/api/v1/features/{featureId}', 'get', 'MeteringFeaturesService_get', 'Metering - Features'],
  ['/api/v1/features/{featureId}', 'delete', 'MeteringFeaturesService_delete', 'Metering - Features'],
  ['/api/v1/meters', 'get', 'MeteringMetersService_list', 'Metering - Meters'],
  ['/api/v1/meters', 'post', 'MeteringMetersService_create', 'Metering - Meters'],
  ['/api/v1/meters/{meterIdOrSlug}', 'get', 'MeteringMetersService_get', 'Metering - Meters'],
  ['/api/v1/meters/{meterIdOrSlug}', 'put', 'MeteringMetersService_update', 'Metering - Meters'],
  ['/api/v1/meters/{meterIdOrSlug}', 'delete', 'MeteringMetersService_delete', 'Metering - Meters'],
  [
    '/api/v1/meters/{meterIdOrSlug}/group-by/{groupByKey}/values',
    'get',
    'MeteringMetersService_listGroupByValues',
    'Metering - Meters',
  ],
  ['/api/v1/meters/{meterIdOrSlug}/query', 'get', 'MeteringMetersService_query', 'Metering - Meters'],
  ['/api/v1/meters/{meterIdOrSlug}/query', 'post', 'MeteringMetersService_queryPost', 'Metering - Meters'],
  ['/api/v1/plans', 'get', 'MeteringPlansService_list', 'Metering - Plans'],
  ['/api/v1/plans', 'post', 'MeteringPlansService_create', 'Metering - Plans'],
  ['/api/v1/plans/{planId}', 'get', 'MeteringPlansService_get', 'Metering - Plans'],
  ['/api/v1/plans/{planId}', 'put', 'MeteringPlansService_update', 'Metering - Plans'],
  ['/api/v1/plans/{planId}', 'delete', 'MeteringPlansService_delete', 'Metering - Plans'],
  ['/api/v1/plans/{planId}/archive', 'post', 'MeteringPlansService_archive', 'Metering - Plans'],
  ['/api/v1/plans/{planId}/publish', 'post', 'MeteringPlansService_publish', 'Metering - Plans'],
  // a bucket is a full tenant (reference zuplo-monetization.md §2b)
  ['/api/v1/customers', 'get', 'MeteringCustomersService_list', 'Metering - Customers'],
  ['/api/v1/customers', 'post', 'MeteringCustomersService_create', 'Metering - Customers'],
  ['/api/v1/customers/{customerIdOrKey}', 'get', 'MeteringCustomersService_get', 'Metering - Customers'],
  ['/api/v1/customers/{customerIdOrKey}', 'put', 'MeteringCustomersService_update', 'Metering - Customers'],
  ['/api/v1/customers/{customerIdOrKey}', 'delete', 'MeteringCustomersService_delete', 'Metering - Customers'],
  ['/api/v1/customers/{customerIdOrKey}/subscriptions', 'get', 'MeteringCustomersService_listSubscriptions', 'Metering - Customers'],
  ['/api/v1/subscriptions/{subscriptionId}', 'get', 'MeteringSubscriptionsService_get', 'Metering - Subscriptions'],
  ['/api/v1/subscriptions/{subscriptionId}/change', 'post', 'MeteringSubscriptionsService_change', 'Metering - Subscriptions'],
  ['/api/v1/subscriptions/{subscriptionId}/cancel', 'post', 'MeteringSubscriptionsService_cancel', 'Metering - Subscriptions'],
  ['/api/v1/subscriptions/{subscriptionId}/unschedule-cancelation', 'post', 'MeteringSubscriptionsService_unscheduleCancelation', 'Metering - Subscriptions'],
  ['/api/v1/subscriptions/{subscriptionId}/restore', 'post', 'MeteringSubscriptionsService_restore', 'Metering - Subscriptions'],
  ['/api/v1/billing/profiles', 'get', 'MeteringBillingProfilesService_list', 'Metering - Billing'],
  ['/api/v1/billing/profiles/{id}', 'get', 'MeteringBillingProfilesService_get', 'Metering - Billing'],
  ['/api/v1/billing/profiles/{id}', 'put', 'MeteringBillingProfilesService_update', 'Metering - Billing'],
  ['/api/v1/billing/invoices', 'get', 'MeteringInvoicesService_list', 'Metering - Billing'],
  ['/api/v1/billing/invoices/{invoiceId}', 'get', 'MeteringInvoicesService_get', 'Metering - Billing'],
  // paying a failed invoice after a card switch (reference §4 step 14; decision 0033)
  ['/api/v1/billing/invoices/{invoiceId}/retry', 'post', 'MeteringInvoicesService_retry', 'Metering - Billing'],
  ['/api/v1/apps/{id}', 'put', 'MeteringAppsService_update', 'Metering - Billing'],
];
// catalog rows whose metering route was inferred (not seen verbatim in a Zuplo source)
const METERING_INFERRED = new Set([
  'MeteringFeaturesService_list',
  'MeteringFeaturesService_get',
  'MeteringFeaturesService_delete',
  'MeteringMetersService_get',
  'MeteringMetersService_update',
  'MeteringMetersService_delete',
  'MeteringMetersService_listGroupByValues',
  'MeteringMetersService_query',
  'MeteringPlansService_list',
  'MeteringPlansService_get',
  'MeteringPlansService_update',
  'MeteringPlansService_delete',
  'MeteringPlansService_archive',
  'MeteringCustomersService_list',
  'MeteringCustomersService_create',
  'MeteringCustomersService_get',
  'MeteringCustomersService_update',
  'MeteringCustomersService_delete',
  'MeteringSubscriptionsService_get',
  'MeteringInvoicesService_retry',
]);

// ---------------------------------------------------------------------------
const paths: Json = {};
const addOp = (path: string, method: string, op: Json) => {
  paths[path] ??= {};
  if (paths[path][method]) throw new Error(`duplicate ${method.toUpperCase()} ${path}`);
  paths[path][method] = op;
};

// 1. vendor Zuplo operations
for (const [p, item] of Object.entries<Json>(zuplo.paths)) {
  for (const m of METHODS) {
    if (!item[m]) continue;
    const op = strip(item[m]);
    if (!SUMMARY[op.operationId]) throw new Error(`no summary for ${op.operationId}`);
    op.summary = SUMMARY[op.operationId];
    op.parameters ??= [];
    // The vendor marks `limit`/`offset` of the consumer/key/manager lists `required` although its own
    // text gives defaults (1000 / 0) and says an over-large limit is capped; documented calls omit them.
    // Keep the parameters, but make them optional with those defaults and let a large limit through.
    for (const prm of op.parameters) {
      if (prm.in === 'query' && prm.required === true && (prm.name === 'limit' || prm.name === 'offset')) {
        prm.required = false;
        prm.schema.default = prm.name === 'limit' ? 1000 : 0;
        if (prm.name === 'limit') delete prm.schema.maximum;
        op['x-localmeter-note'] =
          'limit/offset: vendor says required; relaxed to optional (defaults 1000/0, larger limit capped to 1000).';
      }
    }
    addOp(p, m, orderOp(op));
  }
}
// /mcp/docs: JSON-RPC body, no auth. /openapi: no auth, JSON document.
paths['/mcp/docs'].post.requestBody = {
  required: true,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/LocalMeter.JsonRpcMessage' } } },
};
paths['/mcp/docs'].post.security = [];
paths['/mcp/docs'].post.responses['200'].content['text/event-stream'] = { schema: { type: 'string' } };
paths['/mcp/docs'].post.responses['202'] = { description: 'Notification accepted.' };
paths['/openapi'].get.security = [];
paths['/openapi'].get.responses['200'].content = {
  'application/json': { schema: { type: 'object' } },
};

// 2. metering operations from OpenMeter v1
const meteringRefs: Set<string> = new Set();
for (const [omPath, method, opId, tag] of METERING) {
  const src = om.paths[omPath]?.[method];
  if (!src) throw new Error(`OpenMeter has no ${method} ${omPath}`);
  const op = strip(src);
  delete op.security;
  op.operationId = opId;
  op.summary = SUMMARY[opId];
  op.tags = [tag];
  op.parameters = [{ $ref: '#/components/parameters/Zuplo.MeteringV3.BucketParams' }, ...(op.parameters ?? [])];
  if (METERING_INFERRED.has(opId)) op['x-localmeter-inferred'] = true;
  op['x-localmeter-openmeter-operation'] = src.operationId;
  collectRefs(op, meteringRefs);
  addOp(omPath.replace('/api/v1', '/v3/metering/{bucketId}'), method, orderOp(op));
}

// Zuplo's meter query adds `filterSubscription` (≤ 100 subscription ids) to OpenMeter's filters
{
  const filterSubscription = { type: 'array', items: { type: 'string' }, maxItems: 100 };
  const q = paths['/v3/metering/{bucketId}/meters/{meterIdOrSlug}/query'];
  q.get.parameters.push({ name: 'filterSubscription', in: 'query', required: false, style: 'form', explode: true, schema: filterSubscription });
  const body = q.post.requestBody.content['application/json'];
  if (body.schema.$ref !== '#/components/schemas/MeterQueryRequest') throw new Error('queryPost body is no longer MeterQueryRequest');
  body.schema = { $ref: '#/components/schemas/Zuplo.MeteringV3.MeterQueryRequest' };
}

// 3. hand-written additions
for (const doc of [extra, monetization, portal]) {
  for (const [p, item] of Object.entries<Json>(doc.paths)) {
    for (const m of METHODS) if (item[m]) addOp(p, m, orderOp(clone(item[m])));
  }
}

// ---------------------------------------------------------------------------
// Components: union of the three sources, then pruned to what the paths reference.
const allSchemas: Json = {};
const allParams: Json = {};
const put = (target: Json, name: string, value: Json, origin: string) => {
  if (target[name] && origin !== 'extra') throw new Error(`component name clash: ${name} (${origin})`);
  target[name] = value;
};
for (const [n, s] of Object.entries<Json>(zuplo.components.schemas)) put(allSchemas, n, strip(s), 'zuplo');
for (const [n, s] of Object.entries<Json>(zuplo.components.parameters)) put(allParams, n, strip(s), 'zuplo');
for (const [n, s] of Object.entries<Json>(om.components.schemas)) put(allSchemas, n, strip(s), 'openmeter');
for (const [n, s] of Object.entries<Json>(om.components.parameters ?? {})) put(allParams, n, strip(s), 'openmeter');
for (const [n, s] of Object.entries<Json>(extra.components.schemas)) put(allSchemas, n, clone(s), 'extra');
for (const [n, s] of Object.entries<Json>(extra.components.parameters)) put(allParams, n, clone(s), 'extra');
for (const [n, s] of Object.entries<Json>(monetization.components.schemas)) put(allSchemas, n, clone(s), 'extra');
for (const [n, s] of Object.entries<Json>(monetization.components.parameters)) put(allParams, n, clone(s), 'extra');
{
  const q = clone(allSchemas.MeterQueryRequest);
  q.properties.filterSubscription = { type: 'array', items: { type: 'string' }, maxItems: 100 };
  allSchemas['Zuplo.MeteringV3.MeterQueryRequest'] = q;
}
for (const [n, s] of Object.entries<Json>(portal.components.schemas)) put(allSchemas, n, clone(s), 'extra');
for (const [n, s] of Object.entries<Json>(portal.components.parameters)) put(allParams, n, clone(s), 'extra');

// Zuplo's fork adds a fourth line-discount reason, a plan change's proration credit (SEED
// `DiscountReasonProrationCredit`; its schema is in zuplo-monetization.yaml; decision 0032)
{
  const reason = allSchemas.BillingDiscountReason;
  if (!reason?.oneOf || !reason.discriminator?.mapping) throw new Error('BillingDiscountReason is no longer a discriminated oneOf');
  reason.oneOf.push({ $ref: '#/components/schemas/DiscountReasonProrationCredit' });
  reason.discriminator.mapping.proration_credit = '#/components/schemas/DiscountReasonProrationCredit';
  if (Array.isArray(allSchemas.DiscountReasonType?.enum)) allSchemas.DiscountReasonType.enum.push('proration_credit');
  // and the proration mode behind it (SEED `ProRatingMode`: max_consumption_based); OpenMeter's
  // prorate_prices stays accepted
  const mode = allSchemas.ProRatingMode;
  if (!Array.isArray(mode?.enum)) throw new Error('ProRatingMode is no longer an enum');
  mode.enum.push('max_consumption_based');
  // ... and is the fork's default (SEED `ProRatingConfig.mode` and the `proRatingConfig` of Plan,
  // PlanCreate, PlanReplaceUpdate: {enabled: true, mode: max_consumption_based}). The request
  // validator fills a default in, so this is what a bucket's plan made without one gets.
  // A custom plan sent without one keeps prorate_prices: a custom-plan change is OpenMeter's own and earns no
  // credit (decision 0032), so under the fork's mode it would bill both fees in full.
  const fork = { enabled: true, mode: 'max_consumption_based' };
  const cfg = allSchemas.ProRatingConfig;
  if (cfg?.properties?.mode?.default !== 'prorate_prices') throw new Error('ProRatingConfig.mode no longer defaults to prorate_prices');
  cfg.properties.mode.default = fork.mode;
  for (const n of ['Plan', 'PlanCreate', 'PlanReplaceUpdate']) {
    const prop = allSchemas[n]?.properties?.proRatingConfig;
    if (prop?.default?.mode !== 'prorate_prices') throw new Error(`${n}.proRatingConfig no longer defaults to prorate_prices`);
    prop.default = { ...fork };
  }
}

// CLI compatibility: `zuplo mtls-certificate disable` PATCHes {environments: []}
delete allSchemas['Zuplo.MtlsCertificates.MtlsCertificateUpdateBody'].properties.environments.minItems;

// ---------------------------------------------------------------------------
// Errors: every 4xx/5xx/default response becomes application/problem+json ProblemDetails;
// every operation declares 400, 401, 500 and (when it has path parameters) 404.
const REASON: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted',
  '204': 'No Content',
  '400': 'Bad Request',
  '401': 'Unauthorized',
  '403': 'Forbidden',
  '404': 'Not Found',
  '409': 'Conflict',
  '412': 'Precondition Failed',
  '422': 'Unprocessable Entity',
  '429': 'Too Many Requests',
  '500': 'Internal Server Error',
  '503': 'Service Unavailable',
  default: 'Unexpected error',
};
const problem = (code: string): Json => ({
  description: REASON[code] ?? 'Error',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
});
let opCount = 0;
for (const [p, item] of Object.entries<Json>(paths)) {
  for (const m of METHODS) {
    const op = item[m];
    if (!op) continue;
    opCount++;
    const hasPathParams = p.includes('{');
    for (const [code, resp] of Object.entries<Json>(op.responses)) {
      if (code === 'default' || Number(code) >= 400) {
        const headers = resp.headers ? strip(resp.headers, '') : undefined;
        op.responses[code] = problem(code);
        if (headers) op.responses[code].headers = headers;
      } else {
        resp.description ??= REASON[code] ?? 'Success';
      }
    }
    for (const code of ['400', '401', ...(hasPathParams ? ['404'] : []), '500']) {
      op.responses[code] ??= problem(code);
    }
    // Zuplo's `tag.<name>=<value>` filters are open-ended query names
    if ((op.parameters ?? []).some((x: Json) => x.$ref === '#/components/parameters/Zuplo.ApiKeys.TagQueryParam')) {
      op['x-eov-allow-unknown-query-parameters'] = true;
    }
    op.responses = sortResponses(op.responses);
  }
}
// vendor-level `components.responses` (rate limiting) are replaced by the inline problem responses
// above; a 429 keeps its retry-after header.
for (const item of Object.values<Json>(paths)) {
  for (const m of METHODS) {
    const r = item[m]?.responses?.['429'];
    if (r && !r.headers) {
      r.headers = { 'retry-after': { schema: { type: 'integer' } } };
    }
  }
}
resolveResponseRefs();

// ---------------------------------------------------------------------------
// Prune components to the transitive closure of refs from paths.
const usedSchemas = new Set<string>();
const usedParams = new Set<string>();
(function walkFromPaths() {
  const queue: Json[] = [paths];
  const seen = new Set<string>();
  while (queue.length) {
    const node = queue.pop();
    visit(node, (ref: string) => {
      if (seen.has(ref)) return;
      seen.add(ref);
      const [, , kind, name = ''] = ref.split('/');
      if (kind === 'schemas') {
        if (!allSchemas[name]) throw new Error(`dangling ${ref}`);
        usedSchemas.add(name);
        queue.push(allSchemas[name]);
      } else if (kind === 'parameters') {
        if (!allParams[name]) throw new Error(`dangling ${ref}`);
        usedParams.add(name);
        queue.push(allParams[name]);
      } else throw new Error(`unsupported ref ${ref}`);
    });
  }
})();
const schemas: Json = {};
for (const n of [...usedSchemas].sort()) schemas[n] = allSchemas[n];
const parameters: Json = {};
for (const n of [...usedParams].sort()) parameters[n] = allParams[n];

// ---------------------------------------------------------------------------
// ajv quirks
let patternFixes = 0;
let nullableFixes = 0;
const fixNode = (node: Json): void => {
  if (Array.isArray(node)) return node.forEach(fixNode);
  if (node === null || typeof node !== 'object') return;
  if (typeof node.pattern === 'string' && node.pattern.includes('^\\-')) {
    node.pattern = node.pattern.replace(/\^\\-/g, '^-');
    patternFixes++;
  }
  // `nullable` only widens `type` in ajv: beside allOf/oneOf/anyOf/$ref the sub-schemas still reject null,
  // and without `type` ajv refuses to compile ("nullable cannot be used without type"). Rewrite to
  //   {type: <inferred>, nullable: true, anyOf: [<original minus nullable>, {enum: [null]}]}
  if (node.nullable === true && (node.allOf || node.oneOf || node.anyOf || node.$ref)) {
    const { nullable: _n, ...rest } = node;
    const t = inferType(rest);
    for (const k of Object.keys(node)) delete node[k];
    if (t) {
      node.type = t;
      node.nullable = true;
      delete rest.type;
    }
    node.anyOf = [rest, { enum: [null] }];
    nullableFixes++;
  }
  for (const [k, v] of Object.entries(node)) if (k !== 'enum' && k !== 'default') fixNode(v);
};
fixNode(paths);
fixNode(schemas);
fixNode(parameters);

function inferType(s: Json, depth = 0): string | undefined {
  if (!s || depth > 20) return undefined;
  if (typeof s.type === 'string') return s.type;
  if (s.$ref) return inferType(schemas[s.$ref.split('/').pop()] ?? allSchemas[s.$ref.split('/').pop()], depth + 1);
  if (s.properties || s.additionalProperties) return 'object';
  for (const key of ['allOf', 'oneOf', 'anyOf']) {
    if (Array.isArray(s[key])) {
      const types = new Set(s[key].map((x: Json) => inferType(x, depth + 1)));
      if (types.size === 1) {
        const [t] = types;
        if (t) return t as string;
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------
const tags = [...new Set(Object.values<Json>(paths).flatMap((i) => METHODS.flatMap((m) => i[m]?.tags ?? [])))]
  .sort()
  .map((name) => ({ name }));

const doc: Json = {
  openapi: '3.0.3',
  info: {
    title: 'Zuplo Developer API (localmeter)',
    version: '1.0.0',
    description:
      'Emulated Zuplo Developer API (dev.zuplo.com). Generated by scripts/build-zuplo-spec.ts from the vendor ' +
      'document, the OpenMeter v1 document (metering routes under /v3/metering/{bucketId}) and ' +
      'specs/src/zuplo-extra.yaml. Operations marked x-localmeter-inferred have paths not seen in a public ' +
      'source; x-localmeter-cli-only marks routes only the Zuplo CLI uses.',
  },
  servers: [{ url: 'https://dev.zuplo.com' }],
  security: [{ ApiKeyAuth: [] }],
  tags,
  paths: sortPaths(paths),
  components: {
    securitySchemes: { ApiKeyAuth: { type: 'apiKey', in: 'header', name: 'Authorization' } },
    parameters,
    schemas,
  },
};

const header =
  '# GENERATED by scripts/build-zuplo-spec.ts - do not edit by hand.\n' +
  '# Sources: Zuplo Developer API vendor document, OpenMeter v1 vendor document, specs/src/zuplo-extra.yaml.\n';
const outPath = join(root, 'specs/zuplo.yaml');
writeFileSync(outPath, header + YAML.stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false }));
console.log(
  `wrote ${outPath}: ${opCount} operations, ${Object.keys(schemas).length} schemas, ` +
    `${Object.keys(parameters).length} parameters, ${patternFixes} pattern fixes, ${nullableFixes} nullable fixes`,
);

// ---------------------------------------------------------------------------
function visit(node: Json, onRef: (ref: string) => void): void {
  if (Array.isArray(node)) return node.forEach((n) => visit(n, onRef));
  if (node === null || typeof node !== 'object') return;
  if (typeof node.$ref === 'string') onRef(node.$ref);
  for (const v of Object.values(node)) visit(v, onRef);
}
function collectRefs(node: Json, into: Set<string>) {
  visit(node, (r) => into.add(r));
}
function resolveResponseRefs() {
  // any remaining `$ref: '#/components/responses/...'` (vendor rate-limit responses) -> inline problem
  for (const item of Object.values<Json>(paths)) {
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      for (const [code, r] of Object.entries<Json>(op.responses)) {
        if (r.$ref) {
          op.responses[code] = problem(code);
          if (code === '429') op.responses[code].headers = { 'retry-after': { schema: { type: 'integer' } } };
        }
      }
    }
  }
}
function orderOp(op: Json): Json {
  const order = ['operationId', 'summary', 'tags', 'security', 'parameters', 'requestBody', 'responses'];
  const out: Json = {};
  for (const k of order) if (op[k] !== undefined) out[k] = op[k];
  for (const k of Object.keys(op)) if (!(k in out)) out[k] = op[k];
  return out;
}
function sortResponses(r: Json): Json {
  const out: Json = {};
  for (const k of Object.keys(r).sort((a, b) => (a === 'default' ? 1 : b === 'default' ? -1 : a.localeCompare(b))))
    out[k] = r[k];
  return out;
}
function sortPaths(p: Json): Json {
  const out: Json = {};
  for (const k of Object.keys(p).sort()) {
    out[k] = {};
    for (const m of METHODS) if (p[k][m]) out[k][m] = p[k][m];
  }
  return out;
}
