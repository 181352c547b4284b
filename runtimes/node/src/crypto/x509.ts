/**
 * @module x509 loader: @peculiar/x509 with the Reflect metadata polyfill its tsyringe container
 * needs at load time (the library's README asks the application for one).
 */
import 'reflect-metadata'

export * as x509 from '@peculiar/x509'
