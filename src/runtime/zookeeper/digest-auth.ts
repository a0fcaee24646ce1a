/**
 * ZooKeeper's digest scheme (DigestAuthenticationProvider): a client authenticates with
 * "user:password", and its identity becomes "user:" + base64(SHA-1("user:password")), the
 * same string an ACL of scheme "digest" names. Any well-formed pair is accepted, as ZooKeeper
 * does: the digest only names who the client is; ACLs decide what that name may do.
 */
import { createHash } from 'node:crypto';
import type { Id } from './records.js';

/** The identity for `auth` bytes, or undefined when they are not "user:password". */
export function digestIdentity(auth: Buffer): Id | undefined {
  const text = auth.toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const user = text.slice(0, colon);
  const hash = createHash('sha1').update(text, 'utf8').digest('base64');
  return { scheme: 'digest', id: `${user}:${hash}` };
}
