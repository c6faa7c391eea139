import { X509Certificate } from 'node:crypto';
import { validationError } from '../shared/errors.ts';
import { PlatformErrorCode as E } from './errors.ts';
import type { CertificateInfo } from './types.ts';

/** Reads the fields Zuplo shows for an uploaded PEM certificate; anything unparseable is a 400. */
export function certificateInfoOf(pem: string): CertificateInfo {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw validationError(E.certificateInvalid, 'certificate must be a PEM-encoded X.509 certificate');
  }
  const oneLine = (dn: string) => dn.split('\n').filter(Boolean).join(', ');
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    serialNumber: cert.serialNumber,
  };
}
