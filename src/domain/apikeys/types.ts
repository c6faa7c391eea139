/** Records of the API-key service (one namespace per Zuplo account). Instants are ISO-8601 with ms. */
export interface KeyBucket {
  /** `bckt_` + 32 chars */
  id: string;
  name: string;
  tags: Record<string, string>;
  isRetrievable: boolean;
  createdOn: string;
  updatedOn: string;
}

export interface Consumer {
  /** `csmr_` + 24 chars */
  id: string;
  bucketId: string;
  name: string;
  description?: string;
  tags: Record<string, string>;
  metadata: Record<string, unknown>;
  /** emails invited to manage the consumer that have not signed in yet */
  managerInvites: string[];
  createdOn: string;
  updatedOn: string;
}

export interface ApiKey {
  /** `key_` + 24 chars */
  id: string;
  bucketId: string;
  consumerId: string;
  key: string;
  description?: string;
  /** null = never expires; a past instant = revoked */
  expiresOn: string | null;
  createdOn: string;
  updatedOn: string;
}

export interface Manager {
  /** `eusr_` + 24 chars */
  id: string;
  consumerId: string;
  email: string;
  sub: string;
  createdOn: string;
}

import type { Page } from '../shared/paging.ts';
export type { Page };

export interface KeyInput {
  key?: string;
  expiresOn?: string | null;
  description?: string;
}

export interface ConsumerCreateInput {
  name: string;
  description?: string;
  tags?: Record<string, string>;
  metadata?: Record<string, unknown>;
  /** emails (invites) or `{email, sub}` (direct managers) */
  managers?: Array<string | { email: string; sub: string }>;
  apiKeys?: KeyInput[];
  withApiKey?: boolean;
}

export interface ConsumerView {
  consumer: Consumer;
  apiKeys: ApiKey[];
  managers: Manager[];
}
