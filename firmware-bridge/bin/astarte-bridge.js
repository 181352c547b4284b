#!/usr/bin/env node
import { main } from '#cli'

process.exitCode = await main(process.argv.slice(2))
// Devices are closed: nothing pending may keep the process alive.
setTimeout(() => process.exit(), 500).unref()
