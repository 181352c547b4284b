/** @module commands: `io.edgehog.devicemanager.Commands` (Reboot) through a `SystemControl` port. */
export {
  COMMANDS_INTERFACE,
  DEFAULT_REBOOT_DELAY_MS,
  commandsFeature,
  type CommandsFeatureOptions,
} from './commands-feature.js'
export {
  DEFAULT_REBOOT_COMMAND,
  RecordingSystemControl,
  commandSystemControl,
  type CommandSystemControlOptions,
  type RecordedReboot,
  type SystemControl,
} from './system-control.js'
