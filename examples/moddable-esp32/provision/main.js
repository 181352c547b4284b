// One-time provisioning app: writes the credentials `astarte-device provision` made for this
// board into its `Preference` storage (domain `astarte`), where the device app reads them.
// credentials.js is `export default <moddable-preferences.json>` (see ../README.md); it holds
// the device's private key: never commit it.
import Preference from 'preference'
import Base64 from 'base64'
import credentials from 'credentials'

for (const [key, value] of Object.entries(credentials.values)) {
  const stored = typeof value === 'string' ? value : Base64.decode(value.base64)
  Preference.set(credentials.domain, key, stored)
}
trace(`provisioned ${credentials.values.deviceId}\n`)
