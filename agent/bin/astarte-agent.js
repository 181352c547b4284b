#!/usr/bin/env node
import { main } from '#cli'

process.exitCode = await main(process.argv.slice(2))
// The agent is stopped and its device closed: a request it gave up on must not keep the process
// alive. Unreferenced, so a process with nothing left to do exits at once, as usual.
setTimeout(() => process.exit(), 500).unref()
