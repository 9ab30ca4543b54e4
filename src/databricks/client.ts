// One way to reach a workspace: the Databricks SDK's WorkspaceClient, for a host and a personal access token
// (any workspace that speaks the REST API, the local one included), or for a Databricks target through the
// SDK's own auth chain (DATABRICKS_TOKEN, ~/.databrickscfg profiles, OAuth), never a token from
// pinpipe.yaml. This module knows nothing of the local runtime: src/target.ts decides which workspace.
import { ApiError, Config as SdkConfig, WorkspaceClient } from '@databricks/sdk-experimental';
import type { DatabricksTarget } from '../config/index.ts';
import { PinpipeError } from '../errors.ts';

export interface Workspace {
  client: WorkspaceClient;
  host: string;
  /** True for a workspace on this machine: runs are polled more often. */
  local: boolean;
  /** What identifies the workspace across restarts: its host, or the lake of the local workspace. */
  identity: string;
}

/** A workspace at a host, authenticated with a personal access token. */
export function workspaceWithToken(host: string, token: string, options: { local: boolean; identity: string }): Workspace {
  return { client: new WorkspaceClient(new SdkConfig({ host, token, authType: 'pat' })), host, ...options };
}

/** The workspace of a Databricks target, through the SDK's auth chain (host and profile from the target). */
export async function connectDatabricks(target: DatabricksTarget, targetName: string): Promise<Workspace> {
  const sdkConfig = new SdkConfig({ ...(target.host ? { host: target.host } : {}), ...(target.profile ? { profile: target.profile } : {}) });
  try {
    await sdkConfig.ensureResolved();
    const host = (await sdkConfig.getHost()).toString().replace(/\/$/, '');
    return { client: new WorkspaceClient(sdkConfig), host, local: false, identity: host };
  } catch (cause) {
    throw new PinpipeError('AUTH_FAILED', `databricks: target "${targetName}" has no usable workspace credentials (AUTH_FAILED): ${cause instanceof Error ? cause.message : String(cause)}. Set host in pinpipe.yaml or DATABRICKS_HOST, and DATABRICKS_TOKEN or a profile of ~/.databrickscfg.`, { cause });
  }
}

function networkCode(e: unknown): string | null {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT)$/.test(code)) return code;
  }
  return null;
}

/** A failed API call as a PinpipeError: authentication, an unreachable host and API errors are distinct. */
export function apiFailure(e: unknown, action: string, host: string): PinpipeError {
  if (e instanceof PinpipeError) return e;
  if (e instanceof ApiError) {
    if (e.statusCode === 401 || e.statusCode === 403) {
      return new PinpipeError('AUTH_FAILED', `databricks: ${host} refused the credentials while ${action} (AUTH_FAILED, HTTP ${e.statusCode}): ${e.message}. Check DATABRICKS_TOKEN or the profile; on the local target the token is <lake>/_workspace/token.`, { cause: e });
    }
    return new PinpipeError('API_ERROR', `databricks: ${action} failed (${e.errorCode}, HTTP ${e.statusCode}): ${e.message}`, { cause: e, details: { errorCode: e.errorCode, statusCode: e.statusCode } });
  }
  const code = networkCode(e);
  if (code) {
    return new PinpipeError('HOST_UNREACHABLE', `databricks: cannot reach ${host} while ${action} (HOST_UNREACHABLE, ${code}). Check the host in pinpipe.yaml or DATABRICKS_HOST, and the network.`, { cause: e });
  }
  return new PinpipeError('API_ERROR', `databricks: ${action} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/** Calls the API, turning its failures into PinpipeErrors that name the action and the host. */
export async function call<T>(ws: Workspace, action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw apiFailure(e, action, ws.host);
  }
}

/** True for the API's "does not exist" answers. */
export function isNotFound(e: unknown): boolean {
  const cause = e instanceof PinpipeError ? e.cause : e;
  return cause instanceof ApiError && (cause.errorCode === 'RESOURCE_DOES_NOT_EXIST' || cause.statusCode === 404);
}
