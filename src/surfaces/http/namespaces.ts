/**
 * Every namespace name the emulator uses, built in this one place. A namespace is a tenant:
 * its own records, events and clock-driven work (docs/decisions/0003).
 */

/** the OpenMeter organisation served by `/api/v1` and Konnect `/v3/openmeter` */
export const DEFAULT_NAMESPACE = 'default';

/** Zuplo's control plane (projects, environments, deploys, tunnels): routes name no account */
export const PLATFORM_NAMESPACE = 'zuplo';

/** a Zuplo metering bucket (`/v3/metering/{bucketId}`): one OpenMeter organisation each */
export const bucketNamespace = (bucketId: string): string => `zuplo-bucket:${bucketId}`;

/** a Zuplo account's API-key buckets and consumers */
export const accountNamespace = (accountName: string): string => `zuplo-account:${accountName}`;
