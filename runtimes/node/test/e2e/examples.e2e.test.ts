/** The demo and the node-sensor example, run as real processes the way a user runs them. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnTs } from './cli.js'
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

test('node-sensor --sandbox streams until SIGINT, then exits 0', async () => {
  const sensor = spawnTs('examples/node-sensor/src/main.ts', ['--sandbox', '--period-ms', '100'])
  try {
    await eventually(
      'the sensor to connect',
      () => sensor.out.stdout,
      (s) => s.includes('connected as'),
      30_000,
    )
  } finally {
    sensor.child.kill('SIGINT')
  }
  assert.equal(await sensor.exited, 0, sensor.out.stdout + sensor.out.stderr)
})
