import { describe, expect, it } from 'vitest';
import { createMemoryUnitOfWork } from '../../store/memoryUnitOfWork.ts';
import { FixedClock } from '../shared/clock.ts';
import { DomainError } from '../shared/errors.ts';
import { SequentialIds } from '../shared/ids.ts';
import { AuditLogService } from './AuditLogService.ts';
import { EdgeService } from './EdgeService.ts';
import { PlatformService } from './PlatformService.ts';

function setup() {
  const clock = new FixedClock(new Date('2026-01-01T00:00:00Z'));
  const deps = { clock, ids: new SequentialIds() };
  return { clock, tx: createMemoryUnitOfWork('zuplo'), platform: new PlatformService({ ...deps, defaultAccount: 'acme' }), edge: new EdgeService(deps), audit: new AuditLogService(deps) };
}

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
  throw new Error('expected a DomainError');
};

describe('PlatformService deploy flow', () => {
  it('source-url → upload → SUCCESS; main is production, other branches preview', () => {
    const { tx, platform } = setup();
    const u = platform.requestSourceUpload(tx, { accountName: 'acme', projectName: 'shop', branchName: 'main', sha: '1234567abc' });
    expect(u.status).toBe('IN_PROGRESS');
    expect(platform.listProjects(tx, 'acme').map((p) => p.name)).toEqual(['shop']);
    platform.completeUpload(tx, u.id, { sizeBytes: 10, sha256: 'ff'.repeat(32) });
    const st = platform.deploymentStatus(tx, 'acme', 'shop', u.id);
    expect(st.upload.status).toBe('SUCCESS');
    expect(st.environment).toMatchObject({ environmentType: 'production', state: 'STARTED', loggingId: 'acme::shop::main::main::1234567' });
    expect(st.environment!.url).toMatch(/^https:\/\/shop-main-[0-9a-f]{7}\.localmeter\.local$/);
    const again = platform.requestSourceUpload(tx, { accountName: 'acme', projectName: 'shop', branchName: 'main' });
    expect(again.deploymentName).toBe(u.deploymentName);
    const preview = platform.requestSourceUpload(tx, { accountName: 'acme', projectName: 'shop', branchName: 'feat' });
    expect(platform.getEnvironment(tx, preview.deploymentName).environmentType).toBe('preview');
    expect(codeOf(() => platform.deploymentStatus(tx, 'acme', 'other', u.id))).toBe('deployment_status_not_found');
    expect(codeOf(() => platform.deleteDeployment(tx, u.deploymentName))).toBe('protected_environment');
    platform.deleteDeployment(tx, preview.deploymentName);
    expect(platform.listEnvironments(tx, { projectName: 'shop' })).toHaveLength(1);
  });

  it('project names are unique and patterned', () => {
    const { tx, platform } = setup();
    platform.createProject(tx, 'acme', 'shop');
    expect(codeOf(() => platform.createProject(tx, 'other', 'shop'))).toBe('project_name_taken');
    expect(codeOf(() => platform.createProject(tx, 'acme', 'Shop!'))).toBe('invalid_name');
  });
});

describe('EdgeService operations', () => {
  it('finishes a teardown when it is polled', () => {
    const { tx, edge } = setup();
    const t = edge.createTunnel(tx, 'acme', 'tun');
    const op = edge.deleteTunnel(tx, 'acme', t.id);
    expect(op.status).toBe('in-progress');
    expect(edge.pollOperation(tx, 'teardown', 'acme', t.id, op.id).status).toBe('success');
    expect(codeOf(() => edge.pollOperation(tx, 'provisioning', 'acme', t.id, op.id))).toBe('operation_not_found');
    expect(codeOf(() => edge.getTunnel(tx, 'acme', t.id))).toBe('tunnel_not_found');
  });
});

describe('AuditLogService', () => {
  it('answers newest first within at most 30 days', () => {
    const { tx, audit, clock } = setup();
    const context = { requestId: 'r', ipAddress: null, userAgent: null, url: null, method: 'POST', actorSub: 'apikey|x', actorEmail: null };
    audit.record(tx, 'acme', { action: 'a.one', resources: [], success: true, context });
    clock.set(new Date('2026-01-20T00:00:00Z'));
    audit.record(tx, 'acme', { action: 'a.two', resources: [], success: false, error: 'boom', context });
    audit.record(tx, 'other', { action: 'a.three', resources: [], success: true, context });
    expect(audit.query(tx, 'acme').items.map((e) => e.action)).toEqual(['a.two', 'a.one']);
    expect(audit.query(tx, 'acme', { startDate: '2026-01-10T00:00:00Z' }).items.map((e) => e.action)).toEqual(['a.two']);
    expect(audit.query(tx, 'acme', { success: true }).total).toBe(1);
    expect(codeOf(() => audit.query(tx, 'acme', { startDate: '2025-11-01T00:00:00Z', endDate: '2026-01-20T00:00:00Z' }))).toBe('invalid_date_range');
    clock.set(new Date('2026-03-01T00:00:00Z'));
    expect(audit.query(tx, 'acme').items).toEqual([]);
  });
});
