/**
 * @module request functions: node:http's and node:https's `request`, in a module of their own so
 * that `fetchHttpClient` loads them on its first request (see there).
 */
import { request as http } from 'node:http'
import { request as https } from 'node:https'

export { http, https }
