/** The demo and the node-sensor example, run as real processes the way a user runs them. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnTs, type Spawned } from './cli.js'
import { eventually } from './helpers.js'

test('npm run demo walks every step against a fresh sandbox and exits 0', async () => {
  const demo = spawnTs('examples/demo/src/main.ts', [])
  const code = await demo.exited
  assert.equal(code, 0, demo.out.stdout + demo.out.stderr)
  assert.match(demo.out.stdout, /demo finished: every step worked/)
  assert.doesNotMatch(demo.out.stdout, /✘/)
  assert.match(demo.out.stdout, /org\.astarte-ts\.examples\.Settings\/samplingPeriodMs = 500/)
  // the agent part: the LED's timeline lit, the reboot reaching the simulated SystemControl
  assert.match(demo.out.stdout, /^ {4}[█▁]*█[█▁]*$/m)
  assert.match(demo.out.stdout, /SystemControl: reboot requested at /)
  // the OTA part: the download drawn as a bar, the update ending in Success after the reboot
  assert.match(demo.out.stdout, /^ {4}Downloading +\[█{20}\] 100%$/m)
  assert.match(demo.out.stdout, /^ {4}Success$/m)
})

/** Ctrl-C once `process` printed `text` (or after 30 s, when the wait fails). */
async function interruptOnce(process: Spawned, text: string): Promise<void> {
  try {
    await eventually(
      text,
      () => process.out.stdout,
      (s) => s.includes(text),
      30_000,
    )
  } finally {
    process.child.kill('SIGINT')
  }
}

test('Ctrl-C during the demo: exit 130 at once, none of its temporary directories left', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'demo-interrupted-'))
  try {
    const demo = spawnTs('examples/demo/src/main.ts', [], { TMPDIR: tmp })
    await interruptOnce(demo, '✔ register device')
    assert.equal(await demo.exited, 130, demo.out.stdout + demo.out.stderr)
    assert.match(demo.out.stdout, /demo interrupted \(SIGINT\): removing its temporary directories/)
    // tsx keeps its compile cache there too
    const left = (await readdir(tmp)).filter((name) => name.startsWith('astarte-'))
    assert.deepEqual(left, [])
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
})

test('node-sensor --sandbox streams until SIGINT, then exits 0', async () => {
  const sensor = spawnTs('examples/node-sensor/src/main.ts', ['--sandbox', '--period-ms', '100'])
  await interruptOnce(sensor, 'connected as')
  assert.equal(await sensor.exited, 0, sensor.out.stdout + sensor.out.stderr)
})

test('node-sensor: a wrong flag prints the usage (exit 2); a bad config one line with its code (exit 1)', async () => {
  const period = spawnTs('examples/node-sensor/src/main.ts', ['--sandbox', '--period-ms', 'abc'])
  assert.equal(await period.exited, 2)
  assert.match(
    period.out.stderr,
    /--period-ms must be a whole number of milliseconds, not abc\nusage:/,
  )

  // `npm start -w` runs in the example's directory; INIT_CWD is where the user ran npm
  const dir = await mkdtemp(join(tmpdir(), 'node-sensor-config-'))
  try {
    await writeFile(join(dir, 'device.json'), '{"realm":"test"}')
    const bad = spawnTs('examples/node-sensor/src/main.ts', ['--config', 'device.json'], {
      INIT_CWD: dir,
    })
    assert.equal(await bad.exited, 1)
    assert.equal(
      bad.out.stderr,
      `node-sensor: couldn't use the device config ${join(dir, 'device.json')}: 'pairingUrl' is required; 'storeDir' is required; 'interfaces' is required [local.invalid_config]\n`,
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
