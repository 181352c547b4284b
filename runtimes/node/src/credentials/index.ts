export {
  CREDENTIAL_FILES,
  FileCredentialsStore,
  type CredentialName,
  type FileCredentialsStoreOptions,
} from './file-credentials-store.js'
export { writeFileAtomic } from './atomic-write.js'
