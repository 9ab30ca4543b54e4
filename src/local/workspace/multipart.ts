// multipart/form-data bodies (the SDKs' workspace.upload posts the file as a `content` part beside the
// `path`, `format`, `language` and `overwrite` fields), parsed with @fastify/busboy into the JSON body the
// routes take: text fields as strings, file parts as base64 (as the JSON form of workspace/import carries them).
import { Busboy, type BusboyInstance } from '@fastify/busboy';
import { ApiFailure } from './failure.ts';
import type { Body } from './api.ts';

export function parseMultipart(raw: Buffer, contentType: string, limitBytes: number): Promise<Body> {
  return new Promise((resolve, reject) => {
    const out: Body = {};
    let parser: BusboyInstance;
    try {
      parser = new Busboy({ headers: { 'content-type': contentType }, limits: { fileSize: limitBytes, fields: 32, files: 4 } });
    } catch (e) {
      reject(new ApiFailure(400, 'MALFORMED_REQUEST', `The multipart body cannot be read: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    parser.on('field', (name: string, value: string) => { out[name] = value; });
    parser.on('file', (name: string, stream: NodeJS.ReadableStream & { truncated?: boolean }) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => reject(new ApiFailure(400, 'MAX_NOTEBOOK_SIZE_EXCEEDED', `File size imported exceeded max size (${limitBytes} bytes)`)));
      stream.on('end', () => { out[name] = Buffer.concat(chunks).toString('base64'); });
    });
    parser.on('error', (e: Error) => reject(new ApiFailure(400, 'MALFORMED_REQUEST', `The multipart body cannot be read: ${e.message}`)));
    parser.on('finish', () => resolve(out));
    parser.end(raw);
  });
}
