/** @module placeholder: replaced by the command's implementation. */
export async function run(_args: string[]): Promise<number> {
  process.stderr.write('astarte-device: this command is not available yet\n')
  return 2
}
