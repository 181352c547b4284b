/**
 * The real GPIO and I2C adapters load native addons (`onoff`'s epoll, `i2c-bus`). The project
 * denies their install scripts (an install compiles nothing; boards that use the hardware build
 * them with the image), and an addon built for one Node doesn't load in another. Where the addon
 * can't load, a test of the real adapter says why and skips, rather than test a load failure it
 * was not written for. To run them: `npm rebuild epoll i2c-bus --foreground-scripts` is refused
 * by the denial, so build in place: `(cd node_modules/epoll && npx node-gyp rebuild)`.
 */
export async function addonUnavailable(name: 'onoff' | 'i2c-bus'): Promise<string | undefined> {
  try {
    await import(name)
    return undefined
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_DLOPEN_FAILED') {
      return `${name}'s native addon was built for another Node than ${process.version}`
    }
    // `bindings`' error when no addon was built (install scripts denied)
    if (/Could not locate the bindings file/.test(String(e))) {
      return `${name}'s native addon is not built (its install script is not run by npm install)`
    }
    throw e
  }
}
