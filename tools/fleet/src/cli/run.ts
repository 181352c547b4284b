/** Entry used when running the CLI from sources (tests, development): `tsx src/cli/run.ts`. */
import { main } from './main.js'

process.exitCode = await main(process.argv.slice(2))
