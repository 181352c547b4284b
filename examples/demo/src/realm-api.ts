/**
 * @module realm api: the few Realm Management and AppEngine calls the demo makes (spec §5), over
 * plain `fetch` with the sandbox's JWT. Any non-2xx answer throws with the method, path and body.
 */

export interface RealmApi {
  installInterface(json: unknown): Promise<void>
  get(path: string): Promise<unknown>
  put(path: string, data: unknown): Promise<void>
  post(path: string, data: unknown): Promise<void>
}

export function realmApi(options: {
  readonly realm: string
  readonly appengineUrl: string
  readonly realmManagementUrl: string
  readonly jwt: string
}): RealmApi {
  const call = async (method: string, url: string, data?: unknown): Promise<unknown> => {
    const res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${options.jwt}`,
        ...(data === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(data === undefined ? {} : { body: JSON.stringify({ data }) }),
    })
    const text = await res.text()
    if (!res.ok)
      throw new Error(`${method} ${new URL(url).pathname} answered ${res.status}: ${text}`)
    return text === '' ? undefined : (JSON.parse(text) as { data?: unknown }).data
  }
  const appengine = (path: string): string => `${options.appengineUrl}/v1/${options.realm}/${path}`
  return {
    installInterface: async (json) => {
      await call(
        'POST',
        `${options.realmManagementUrl}/v1/${options.realm}/interfaces?async_operation=false`,
        json,
      )
    },
    get: (path) => call('GET', appengine(path)),
    put: async (path, data) => {
      await call('PUT', appengine(path), data)
    },
    post: async (path, data) => {
      await call('POST', appengine(path), data)
    },
  }
}
