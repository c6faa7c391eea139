import type { TunneledService } from '../../../domain/platform/types.ts';
import { noContent, ok, type HandlerContext, type Reply } from '../../http/types.ts';
import { toApiAuditLog, toApiCaCertificate, toApiCustomDomain, toApiCustomDomainResult, toApiMtlsCertificate, toApiOperation, toApiTunnel } from '../convert/platform.ts';
import { audited, readPlatform, runPlatform } from './common.ts';

const svc = (c: HandlerContext) => c.services.edge;
const p = (c: HandlerContext) => c.params as Record<string, string>;
const acct = (c: HandlerContext) => p(c).accountName!;

// ---- tunnels
export function listTunnels(c: HandlerContext): Reply {
  const list = readPlatform(c, (tx) => svc(c).listTunnels(tx, acct(c)));
  return ok({ data: list.map((t) => ({ id: t.id, name: t.name })), limit: 1000, offset: 0, total: list.length });
}

export async function createTunnel(c: HandlerContext): Promise<Reply> {
  const { name } = c.body as { name: string };
  const t = await audited(c, 'tunnel.create', (r) => ({ type: 'tunnel', id: r?.id ?? name }), () => runPlatform(c, (tx) => svc(c).createTunnel(tx, acct(c), name)));
  return ok(toApiTunnel(t), 201);
}

export function getTunnel(c: HandlerContext): Reply {
  return ok(toApiTunnel(readPlatform(c, (tx) => svc(c).getTunnel(tx, acct(c), p(c).tunnelId!))));
}

export async function rotateTunnelToken(c: HandlerContext): Promise<Reply> {
  const id = p(c).tunnelId!;
  const t = await audited(c, 'tunnel.rotate-token', () => ({ type: 'tunnel', id }), () => runPlatform(c, (tx) => svc(c).rotateTunnelToken(tx, acct(c), id)));
  return ok(toApiTunnel(t));
}

export async function deleteTunnel(c: HandlerContext): Promise<Reply> {
  const id = p(c).tunnelId!;
  const op = await audited(c, 'tunnel.delete', () => ({ type: 'tunnel', id }), () => runPlatform(c, (tx) => svc(c).deleteTunnel(tx, acct(c), id)));
  return ok(toApiOperation(op));
}

export async function teardownStatus(c: HandlerContext): Promise<Reply> {
  const op = await runPlatform(c, (tx) => svc(c).pollOperation(tx, 'teardown', acct(c), p(c).tunnelId!, p(c).operationId!));
  return ok(toApiOperation(op));
}

export async function provisioningStatus(c: HandlerContext): Promise<Reply> {
  const op = await runPlatform(c, (tx) => svc(c).pollOperation(tx, 'provisioning', acct(c), p(c).tunnelId!, p(c).operationId!));
  return ok(toApiOperation(op));
}

export function getServicesConfiguration(c: HandlerContext): Reply {
  return ok(readPlatform(c, (tx) => svc(c).getServicesConfiguration(tx, acct(c), p(c).tunnelId!)));
}

export async function putServicesConfiguration(c: HandlerContext): Promise<Reply> {
  const id = p(c).tunnelId!;
  const body = c.body as { version: number; services: TunneledService[] };
  const op = await audited(c, 'tunnel.services.update', () => ({ type: 'tunnel', id }), () => runPlatform(c, (tx) => svc(c).putServicesConfiguration(tx, acct(c), id, body)));
  return ok(toApiOperation(op));
}

// ---- custom domains
export function listCustomDomains(c: HandlerContext): Reply {
  const list = readPlatform(c, (tx) => svc(c).listCustomDomains(tx, acct(c)));
  return ok({ data: list.map((d) => toApiCustomDomain(d, svc(c).cnameOf(d))), offset: 0, limit: 1000 });
}

export async function createCustomDomain(c: HandlerContext): Promise<Reply> {
  const body = c.body as { hostname: string; deploymentName?: string; stage?: 'api' | 'dev-portal'; isDefault?: boolean; isAlias?: boolean };
  const d = await audited(c, 'custom-domain.create', (r) => ({ type: 'custom-domain', id: r?.id ?? body.hostname }), () => runPlatform(c, (tx) => svc(c).createCustomDomain(tx, acct(c), body)));
  return ok(toApiCustomDomainResult(d, svc(c).cnameOf(d)));
}

export async function updateCustomDomain(c: HandlerContext): Promise<Reply> {
  const body = c.body as { hostname: string; deploymentName?: string; isDefault?: boolean };
  const d = await audited(c, 'custom-domain.update', (r) => ({ type: 'custom-domain', id: r?.id ?? body.hostname }), () => runPlatform(c, (tx) => svc(c).updateCustomDomain(tx, acct(c), body)));
  return ok(toApiCustomDomainResult(d, svc(c).cnameOf(d)));
}

export async function deleteCustomDomain(c: HandlerContext): Promise<Reply> {
  const hostname = c.query.hostname as string;
  const deploymentName = c.query.deploymentName as string | undefined;
  await audited(c, 'custom-domain.delete', (r) => ({ type: 'custom-domain', id: r?.id ?? hostname }), () => runPlatform(c, (tx) => svc(c).deleteCustomDomain(tx, acct(c), hostname, deploymentName)));
  return { status: 200 };
}

// ---- client mTLS CA certificates
export function listCaCertificates(c: HandlerContext): Reply {
  const list = readPlatform(c, (tx) => svc(c).listCaCertificates(tx, acct(c)));
  return ok({ data: list.map(toApiCaCertificate), offset: 0, limit: list.length });
}

export async function createCaCertificate(c: HandlerContext): Promise<Reply> {
  const body = c.body as { name: string; certificate: string };
  const x = await audited(c, 'client-mtls-ca-certificate.create', (r) => ({ type: 'client-mtls-ca-certificate', id: r?.id ?? body.name }), () => runPlatform(c, (tx) => svc(c).createCaCertificate(tx, acct(c), body)));
  return ok(toApiCaCertificate(x), 201);
}

export async function updateCaCertificate(c: HandlerContext): Promise<Reply> {
  const id = p(c).id!;
  const x = await audited(c, 'client-mtls-ca-certificate.update', () => ({ type: 'client-mtls-ca-certificate', id }), () => runPlatform(c, (tx) => svc(c).updateCaCertificate(tx, acct(c), id, c.body as { name: string })));
  return ok(toApiCaCertificate(x));
}

export async function deleteCaCertificate(c: HandlerContext): Promise<Reply> {
  const id = p(c).id!;
  await audited(c, 'client-mtls-ca-certificate.delete', () => ({ type: 'client-mtls-ca-certificate', id }), () => runPlatform(c, (tx) => svc(c).deleteCaCertificate(tx, acct(c), id)));
  return noContent();
}

// ---- mTLS certificates
export function listMtlsCertificates(c: HandlerContext): Reply {
  const list = readPlatform(c, (tx) => svc(c).listMtlsCertificates(tx, acct(c), p(c).projectName!));
  return ok({ data: list.map(toApiMtlsCertificate), offset: 0, limit: list.length });
}

export async function createMtlsCertificate(c: HandlerContext): Promise<Reply> {
  const body = c.body as { name: string; certificate: string; key: string; environments: string[] };
  const x = await audited(c, 'mtls-certificate.create', (r) => ({ type: 'mtls-certificate', id: r?.id ?? body.name }), () => runPlatform(c, (tx) => svc(c).createMtlsCertificate(tx, acct(c), p(c).projectName!, body)));
  return ok(toApiMtlsCertificate(x), 201);
}

export function getMtlsCertificate(c: HandlerContext): Reply {
  return ok(toApiMtlsCertificate(readPlatform(c, (tx) => svc(c).getMtlsCertificate(tx, acct(c), p(c).projectName!, p(c).id!))));
}

export async function updateMtlsCertificate(c: HandlerContext): Promise<Reply> {
  const id = p(c).id!;
  const x = await audited(c, 'mtls-certificate.update', () => ({ type: 'mtls-certificate', id }), () => runPlatform(c, (tx) => svc(c).updateMtlsCertificate(tx, acct(c), p(c).projectName!, id, c.body as { environments?: string[] })));
  return ok(toApiMtlsCertificate(x));
}

export async function deleteMtlsCertificate(c: HandlerContext): Promise<Reply> {
  const id = p(c).id!;
  await audited(c, 'mtls-certificate.delete', () => ({ type: 'mtls-certificate', id }), () => runPlatform(c, (tx) => svc(c).deleteMtlsCertificate(tx, acct(c), p(c).projectName!, id)));
  return noContent();
}

// ---- fleets
export async function getFleet(c: HandlerContext): Promise<Reply> {
  const f = await runPlatform(c, (tx) => svc(c).getFleet(tx, acct(c), p(c).fleetName!));
  return ok({ id: f.id, name: f.name, vendor: 'amazon', controlPlaneUrl: `https://${f.name}.fleets.localmeter.local`, isAccountDefault: f.name === 'default', createdOn: f.createdOn, updatedOn: f.updatedOn });
}

export async function getProxyConfiguration(c: HandlerContext): Promise<Reply> {
  return ok(await runPlatform(c, (tx) => svc(c).getProxyConfiguration(tx, acct(c), p(c).fleetName!)));
}

export async function putProxyConfiguration(c: HandlerContext): Promise<Reply> {
  const fleet = p(c).fleetName!;
  const cfg = await audited(c, 'fleet.proxy-configuration.update', () => ({ type: 'fleet', id: fleet }), () => runPlatform(c, (tx) => svc(c).putProxyConfiguration(tx, acct(c), fleet, c.body as Record<string, unknown>)));
  return ok(cfg);
}

export async function deleteProxyConfiguration(c: HandlerContext): Promise<Reply> {
  const fleet = p(c).fleetName!;
  await audited(c, 'fleet.proxy-configuration.delete', () => ({ type: 'fleet', id: fleet }), () => runPlatform(c, (tx) => svc(c).deleteProxyConfiguration(tx, acct(c), fleet)));
  return noContent();
}

// ---- audit logs
export function listAuditLogs(c: HandlerContext): Reply {
  const q = c.query;
  const r = readPlatform(c, (tx) =>
    c.services.auditLogs.query(tx, acct(c), {
      ...(typeof q.limit === 'number' ? { limit: q.limit } : {}),
      ...(typeof q.offset === 'number' ? { offset: q.offset } : {}),
      ...(typeof q.action === 'string' ? { action: q.action } : {}),
      ...(typeof q.actor === 'string' ? { actor: q.actor } : {}),
      ...(typeof q.success === 'boolean' ? { success: q.success } : {}),
      ...(typeof q.startDate === 'string' ? { startDate: q.startDate } : {}),
      ...(typeof q.endDate === 'string' ? { endDate: q.endDate } : {}),
    }),
  );
  return ok({ data: r.items.map(toApiAuditLog), pagination: { limit: r.limit, offset: r.offset, total: r.total, hasMore: r.hasMore } });
}
