// SCIM 2.0 preview: the current user (`current_user.me()`, which the Databricks CLI and bundles call first).
import { LOCAL_USER, type Routes } from '../api.ts';

export function scimRoutes(): Routes {
  return {
    'GET /api/2.0/preview/scim/v2/Me': () => ({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: '1',
      userName: LOCAL_USER,
      displayName: 'pinpipe local user',
      active: true,
      emails: [{ value: LOCAL_USER, type: 'work', primary: true }],
      groups: [{ display: 'admins', type: 'direct', value: '1' }],
    }),
  };
}
