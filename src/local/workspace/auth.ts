// The local workspace's personal access token: generated like a Databricks PAT, checked in constant time.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export function generateToken(): string {
  return `dapi${randomBytes(16).toString('hex')}`;
}

/** True when the Authorization header carries exactly this bearer token. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice('Bearer '.length));
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
