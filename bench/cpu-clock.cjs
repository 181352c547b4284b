// A/B aid for the send rows on a shared machine: `NODE_OPTIONS="--require ./bench/cpu-clock.cjs"
// npm run bench -- --only send` times the send child's trials in its process CPU time (user +
// sys) instead of wall time, so other processes' load weighs far less on the ratios; rates then
// read as messages per CPU second. Only the send child is affected (the bench itself and
// Mosquitto keep their clocks).
if ((process.argv[1] ?? '').endsWith('send-child.mjs')) {
  process.hrtime.bigint = () => {
    const { user, system } = process.cpuUsage()
    return BigInt(user + system) * 1000n
  }
}
