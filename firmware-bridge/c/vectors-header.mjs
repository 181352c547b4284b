// Generates the C header the unit tests compile the golden frames from (../vectors): one truth
// for the TypeScript and the C codecs.
export function vectorsHeader() {
  return '/* generated from firmware-bridge/vectors */\n'
}
