// Cold-start child of `npm run bench`: plain node on the BUILT packages (no tsx, no source
// condition), so the time measured is what a deployed device pays. Options come in the
// environment (BENCH_DEVICE_OPTIONS, JSON) so that the pairing JWT is not in the process list.
import { Device } from '@astarte-ts/runtime-node'

const options = JSON.parse(process.env.BENCH_DEVICE_OPTIONS ?? '{}')
const device = await Device.open({ ...options, logger: { log() {} } })
await device.connect()
process.stdout.write('connected\n')
await device.close()
