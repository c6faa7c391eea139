import { hexOf, prefixedId } from '../apikeys/ids.ts';
import type { Clock } from '../shared/clock.ts';
import { conflict, notFound, validationError } from '../shared/errors.ts';
import type { IdGenerator } from '../shared/ids.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { certificateInfoOf } from './certificates.ts';
import { PlatformErrorCode as E } from './errors.ts';
import { DEPLOYMENT_DOMAIN } from './PlatformService.ts';
import { OperationStatus, type CaCertificate, type CustomDomain, type Environment, type Fleet, type MtlsCertificate, type Tunnel, type TunnelOperation, type TunneledService } from './types.ts';

const TUNNELS = 'zuplo_tunnels';
const OPERATIONS = 'zuplo_tunnel_operations';
const DOMAINS = 'zuplo_custom_domains';
const CA_CERTS = 'zuplo_client_mtls_ca_certificates';
const MTLS_CERTS = 'zuplo_mtls_certificates';
const FLEETS = 'zuplo_fleets';
const ENVIRONMENTS = 'zuplo_environments';

const TUNNEL_NAME = /^[a-zA-Z0-9-]{3,24}$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

type EnvFlags = MtlsCertificate['environments'];
const envFlags = (list: string[]): EnvFlags => ({ development: list.includes('development'), preview: list.includes('preview'), production: list.includes('production') });

/**
 * Account-level networking: tunnels (with their teardown/provisioning operations), custom domains,
 * client mTLS CA certificates, per-project mTLS certificates and managed-dedicated fleets.
 * Operations finish instantly: they answer `in-progress` when started and `success` when polled.
 */
export class EdgeService {
  constructor(private readonly deps: { clock: Clock; ids: IdGenerator }) {}

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  // ---- tunnels
  listTunnels(tx: UnitOfWork, accountName: string): Tunnel[] {
    return tx.collection<Tunnel>(TUNNELS).find((t) => t.accountName === accountName);
  }

  createTunnel(tx: UnitOfWork, accountName: string, name: string): Tunnel {
    if (!TUNNEL_NAME.test(name)) throw validationError(E.invalidName, `tunnel name '${name}' must match ${TUNNEL_NAME.source}`);
    const col = tx.collection<Tunnel>(TUNNELS);
    if (col.findOne((t) => t.accountName === accountName && t.name === name)) throw conflict(E.tunnelNameTaken, `a tunnel named '${name}' already exists`);
    const ulid = this.deps.ids.next();
    const now = this.now();
    const t: Tunnel = { id: prefixedId('tnl', ulid), accountName, name, token: this.token(ulid), services: { version: 1, services: [] }, createdOn: now, updatedOn: now };
    col.put(t);
    return t;
  }

  getTunnel(tx: UnitOfWork, accountName: string, id: string): Tunnel {
    const t = tx.collection<Tunnel>(TUNNELS).get(id);
    if (!t || t.accountName !== accountName) throw notFound(E.tunnelNotFound, `tunnel '${id}' not found`);
    return t;
  }

  rotateTunnelToken(tx: UnitOfWork, accountName: string, id: string): Tunnel {
    const t = this.getTunnel(tx, accountName, id);
    const next = { ...t, token: this.token(this.deps.ids.next()), updatedOn: this.now() };
    tx.collection<Tunnel>(TUNNELS).put(next);
    return next;
  }

  /** The tunnel is gone at once; the teardown operation reports success when polled. */
  deleteTunnel(tx: UnitOfWork, accountName: string, id: string): TunnelOperation {
    const t = this.getTunnel(tx, accountName, id);
    tx.collection<Tunnel>(TUNNELS).delete(t.id);
    return this.startOperation(tx, 'teardown', accountName, t.id);
  }

  getServicesConfiguration(tx: UnitOfWork, accountName: string, id: string): Tunnel['services'] {
    return this.getTunnel(tx, accountName, id).services;
  }

  putServicesConfiguration(tx: UnitOfWork, accountName: string, id: string, config: { version: number; services: TunneledService[] }): TunnelOperation {
    const t = this.getTunnel(tx, accountName, id);
    const names = new Set<string>();
    for (const s of config.services) {
      if (!TUNNEL_NAME.test(s.name)) throw validationError(E.invalidName, `service name '${s.name}' must match ${TUNNEL_NAME.source}`);
      if (names.has(s.name)) throw validationError(E.invalidName, `service name '${s.name}' is used twice`);
      names.add(s.name);
    }
    tx.collection<Tunnel>(TUNNELS).put({ ...t, services: { version: config.version, services: config.services }, updatedOn: this.now() });
    return this.startOperation(tx, 'provisioning', accountName, t.id);
  }

  /** Polling an operation completes it (the emulator has nothing to wait for). */
  pollOperation(tx: UnitOfWork, kind: TunnelOperation['kind'], accountName: string, tunnelId: string, operationId: string): TunnelOperation {
    const col = tx.collection<TunnelOperation>(OPERATIONS);
    const op = col.get(operationId);
    if (!op || op.kind !== kind || op.accountName !== accountName || op.tunnelId !== tunnelId) throw notFound(E.operationNotFound, `${kind} operation '${operationId}' not found`);
    if (op.status !== OperationStatus.inProgress) return op;
    const done: TunnelOperation = { ...op, status: OperationStatus.success, message: kind === 'teardown' ? 'Tunnel deleted' : 'Services provisioned' };
    col.put(done);
    return done;
  }

  // ---- custom domains
  listCustomDomains(tx: UnitOfWork, accountName: string): CustomDomain[] {
    return tx.collection<CustomDomain>(DOMAINS).find((d) => d.accountName === accountName);
  }

  createCustomDomain(tx: UnitOfWork, accountName: string, input: { hostname: string; deploymentName?: string; stage?: 'api' | 'dev-portal'; isDefault?: boolean; isAlias?: boolean }): CustomDomain {
    const hostname = input.hostname.toLowerCase();
    if (!HOSTNAME.test(hostname)) throw validationError(E.invalidName, `'${input.hostname}' is not a valid host name`);
    const col = tx.collection<CustomDomain>(DOMAINS);
    if (col.findOne((d) => d.hostname === hostname)) throw conflict(E.customDomainTaken, `custom domain '${hostname}' already exists`);
    const ulid = this.deps.ids.next();
    const now = this.now();
    const d: CustomDomain = {
      id: `cdm_${ulid}`,
      accountName,
      hostname,
      provider: input.isAlias ? 'alias' : 'cloudflare',
      ...this.target(tx, accountName, input.deploymentName),
      stage: input.stage ?? 'api',
      isDefault: input.isDefault ?? false,
      verification: { name: `_cf-custom-hostname.${hostname}`, type: 'TXT', value: hexOf(`cdm:${ulid}`, 36) },
      createdOn: now,
      updatedOn: now,
    };
    col.put(d);
    return d;
  }

  updateCustomDomain(tx: UnitOfWork, accountName: string, input: { hostname: string; deploymentName?: string; isDefault?: boolean }): CustomDomain {
    const d = this.getCustomDomain(tx, accountName, input.hostname);
    const next: CustomDomain = {
      ...d,
      ...(input.deploymentName !== undefined ? this.target(tx, accountName, input.deploymentName) : {}),
      ...(input.isDefault !== undefined ? { isDefault: input.isDefault } : {}),
      updatedOn: this.now(),
    };
    tx.collection<CustomDomain>(DOMAINS).put(next);
    return next;
  }

  deleteCustomDomain(tx: UnitOfWork, accountName: string, hostname: string, deploymentName?: string): CustomDomain {
    const d = this.getCustomDomain(tx, accountName, hostname);
    if (deploymentName && d.deploymentName !== deploymentName) throw notFound(E.customDomainNotFound, `custom domain '${hostname}' is not attached to '${deploymentName}'`);
    tx.collection<CustomDomain>(DOMAINS).delete(d.id);
    return d;
  }

  cnameOf(d: CustomDomain): string | null {
    return d.deploymentName ? `${d.deploymentName}.${DEPLOYMENT_DOMAIN}` : null;
  }

  private getCustomDomain(tx: UnitOfWork, accountName: string, hostname: string): CustomDomain {
    const h = hostname.toLowerCase();
    const d = tx.collection<CustomDomain>(DOMAINS).findOne((x) => x.accountName === accountName && x.hostname === h);
    if (!d) throw notFound(E.customDomainNotFound, `custom domain '${hostname}' not found`);
    return d;
  }

  private target(tx: UnitOfWork, accountName: string, deploymentName?: string): Pick<CustomDomain, 'deploymentName' | 'projectName' | 'branchName' | 'environmentType'> {
    if (!deploymentName) return { deploymentName: null, projectName: '', branchName: null, environmentType: null };
    const e = tx.collection<Environment>(ENVIRONMENTS).get(deploymentName);
    if (!e || e.accountName !== accountName) throw notFound(E.deploymentNotFound, `deployment '${deploymentName}' not found`);
    const environmentType = e.environmentType === 'production' ? 'PRODUCTION' : e.environmentType === 'preview' ? 'PREVIEW' : 'WORKING_COPY';
    return { deploymentName: e.name, projectName: e.projectName, branchName: e.branchName, environmentType };
  }

  // ---- client mTLS CA certificates (account)
  listCaCertificates(tx: UnitOfWork, accountName: string): CaCertificate[] {
    return tx.collection<CaCertificate>(CA_CERTS).find((c) => c.accountName === accountName);
  }

  createCaCertificate(tx: UnitOfWork, accountName: string, input: { name: string; certificate: string }): CaCertificate {
    const info = certificateInfoOf(input.certificate);
    const now = this.now();
    const c: CaCertificate = { id: prefixedId('cert', this.deps.ids.next()), accountName, name: input.name, certificateInfo: info, createdOn: now, updatedOn: now };
    tx.collection<CaCertificate>(CA_CERTS).put(c);
    return c;
  }

  updateCaCertificate(tx: UnitOfWork, accountName: string, id: string, input: { name: string }): CaCertificate {
    const c = this.getCaCertificate(tx, accountName, id);
    const next = { ...c, name: input.name, updatedOn: this.now() };
    tx.collection<CaCertificate>(CA_CERTS).put(next);
    return next;
  }

  deleteCaCertificate(tx: UnitOfWork, accountName: string, id: string): void {
    tx.collection<CaCertificate>(CA_CERTS).delete(this.getCaCertificate(tx, accountName, id).id);
  }

  private getCaCertificate(tx: UnitOfWork, accountName: string, id: string): CaCertificate {
    const c = tx.collection<CaCertificate>(CA_CERTS).get(id);
    if (!c || c.accountName !== accountName) throw notFound(E.certificateNotFound, `CA certificate '${id}' not found`);
    return c;
  }

  // ---- mTLS certificates (project)
  listMtlsCertificates(tx: UnitOfWork, accountName: string, projectName: string): MtlsCertificate[] {
    return tx.collection<MtlsCertificate>(MTLS_CERTS).find((c) => c.accountName === accountName && c.projectName === projectName);
  }

  createMtlsCertificate(tx: UnitOfWork, accountName: string, projectName: string, input: { name: string; certificate: string; key: string; environments: string[] }): MtlsCertificate {
    const info = certificateInfoOf(input.certificate);
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(input.key)) throw validationError(E.certificateInvalid, 'key must be a PEM-encoded private key');
    const now = this.now();
    // The private key is not kept: the emulator never terminates TLS with it.
    const c: MtlsCertificate = { id: prefixedId('mtls', this.deps.ids.next()), accountName, projectName, name: input.name, certificateInfo: info, environments: envFlags(input.environments), createdOn: now, updatedOn: now };
    tx.collection<MtlsCertificate>(MTLS_CERTS).put(c);
    return c;
  }

  getMtlsCertificate(tx: UnitOfWork, accountName: string, projectName: string, id: string): MtlsCertificate {
    const c = tx.collection<MtlsCertificate>(MTLS_CERTS).get(id);
    if (!c || c.accountName !== accountName || c.projectName !== projectName) throw notFound(E.certificateNotFound, `mTLS certificate '${id}' not found`);
    return c;
  }

  /** `environments: []` is how the CLI's `disable` works */
  updateMtlsCertificate(tx: UnitOfWork, accountName: string, projectName: string, id: string, input: { environments?: string[] }): MtlsCertificate {
    const c = this.getMtlsCertificate(tx, accountName, projectName, id);
    const next = { ...c, ...(input.environments !== undefined ? { environments: envFlags(input.environments) } : {}), updatedOn: this.now() };
    tx.collection<MtlsCertificate>(MTLS_CERTS).put(next);
    return next;
  }

  deleteMtlsCertificate(tx: UnitOfWork, accountName: string, projectName: string, id: string): void {
    tx.collection<MtlsCertificate>(MTLS_CERTS).delete(this.getMtlsCertificate(tx, accountName, projectName, id).id);
  }

  // ---- fleets
  /** Managed-dedicated fleets are provisioned by Zuplo, not through this API: one appears when first named. */
  getFleet(tx: UnitOfWork, accountName: string, name: string): Fleet {
    const col = tx.collection<Fleet>(FLEETS);
    const existing = col.findOne((f) => f.accountName === accountName && f.name === name);
    if (existing) return existing;
    const now = this.now();
    const f: Fleet = { id: prefixedId('flt', this.deps.ids.next()), accountName, name, proxyConfiguration: null, createdOn: now, updatedOn: now };
    col.put(f);
    return f;
  }

  getProxyConfiguration(tx: UnitOfWork, accountName: string, fleet: string): Record<string, unknown> {
    const f = this.getFleet(tx, accountName, fleet);
    if (!f.proxyConfiguration) throw notFound(E.proxyConfigurationNotFound, `fleet '${fleet}' has no proxy configuration`);
    return f.proxyConfiguration;
  }

  putProxyConfiguration(tx: UnitOfWork, accountName: string, fleet: string, config: Record<string, unknown>): Record<string, unknown> {
    const f = this.getFleet(tx, accountName, fleet);
    tx.collection<Fleet>(FLEETS).put({ ...f, proxyConfiguration: { ...config }, updatedOn: this.now() });
    return config;
  }

  deleteProxyConfiguration(tx: UnitOfWork, accountName: string, fleet: string): void {
    const f = this.getFleet(tx, accountName, fleet);
    if (!f.proxyConfiguration) throw notFound(E.proxyConfigurationNotFound, `fleet '${fleet}' has no proxy configuration`);
    tx.collection<Fleet>(FLEETS).put({ ...f, proxyConfiguration: null, updatedOn: this.now() });
  }

  // ---- internals
  private token(ulid: string): string {
    return `ztkn_${hexOf(`tunnel-token:${ulid}`, 48)}`;
  }

  private startOperation(tx: UnitOfWork, kind: TunnelOperation['kind'], accountName: string, tunnelId: string): TunnelOperation {
    const op: TunnelOperation = { id: prefixedId(kind === 'teardown' ? 'tdop' : 'prop', this.deps.ids.next()), kind, accountName, tunnelId, status: OperationStatus.inProgress, createdOn: this.now() };
    tx.collection<TunnelOperation>(OPERATIONS).put(op);
    return op;
  }
}
