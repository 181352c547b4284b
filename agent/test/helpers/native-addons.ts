/**
 * The real GPIO and I2C adapters load native addons (`onoff`'s epoll, `i2c-bus`) that npm builds
 * for the Node it installs with. When the suites run again on another Node (CI's Node 24 pass
 * over a Node 20 install) the addon can't load there: a test of the real adapter says so and
 * skips, rather than test a load failure it was not written for.
 */
export async function addonUnavailable(name: 'onoff' | 'i2c-bus'): Promise<string | undefined> {
  try {
    await import(name)
    return undefined
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ERR_DLOPEN_FAILED') throw e
    return `${name}'s native addon was built for another Node than ${process.version}`
  }
}
