// The local services' TLS: a certificate authority of this machine's own, made once with Debian's openssl
// (no value goes through a shell: arguments are passed as a list), and a server certificate it signs for
// 127.0.0.1 and localhost. Clients are told to trust the CA file (the Python SQL connector's
// `_tls_trusted_ca_file`, `REQUESTS_CA_BUNDLE`, Node's `ca`), so none has to turn verification off.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PinpipeError } from '../errors.ts';

export interface LocalTls {
  key: Buffer;
  cert: Buffer;
  /** The CA certificate clients trust (absolute path). */
  caFile: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (cause) {
    const stderr = (cause as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    throw new PinpipeError('IO_FAILED', `tls: openssl ${args[0]} failed (IO_FAILED): ${stderr || (cause instanceof Error ? cause.message : String(cause))}. bin/setup installs openssl.`, { cause });
  }
}

/** The CA and the server certificate in dir, made when missing (keys mode 600). */
export function localTls(dir: string): LocalTls {
  const abs = path.resolve(dir);
  const caFile = path.join(abs, 'ca.pem');
  const certFile = path.join(abs, 'cert.pem');
  const keyFile = path.join(abs, 'key.pem');
  if (!existsSync(caFile) || !existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(abs, { recursive: true, mode: 0o700 });
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=pinpipe local CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout', 'ca.key', '-out', 'ca.pem'], abs);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'key.pem', '-out', 'server.csr'], abs);
    writeFileSync(path.join(abs, 'server.ext'), [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'));
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '825',
      '-sha256', '-extfile', 'server.ext', '-out', 'cert.pem'], abs);
    for (const f of ['ca.key', 'key.pem']) chmodSync(path.join(abs, f), 0o600);
    for (const f of ['server.csr', 'server.ext', 'ca.srl']) rmSync(path.join(abs, f), { force: true });
  }
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), caFile };
}
