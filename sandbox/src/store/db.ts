/**
 * @module store db: the sandbox's SQLite file (WAL). One schema, created idempotently, so a
 * restart with the same data directory finds devices, interfaces, data and MQTT sessions where it
 * left them. `synchronous = NORMAL` in WAL mode: a committed transaction survives the process
 * being killed (it is in the OS's page cache), only a power loss can take the last ones.
 */
import { openSqlite, type SqliteDatabase } from '@astarte-ts/sqlite'

export type Db = SqliteDatabase

const SCHEMA = `
CREATE TABLE IF NOT EXISTS devices (
  device_id TEXT PRIMARY KEY,
  registered INTEGER NOT NULL,
  secret_hash TEXT,
  first_credentials_request INTEGER,
  credentials_inhibited INTEGER NOT NULL DEFAULT 0,
  cert_serial TEXT,
  cert_request_ip TEXT,
  initial_introspection TEXT NOT NULL DEFAULT '{}',
  introspection TEXT NOT NULL DEFAULT '{}',
  last_connection INTEGER,
  last_disconnection INTEGER,
  last_seen_ip TEXT,
  total_received_msgs INTEGER NOT NULL DEFAULT 0,
  total_received_bytes INTEGER NOT NULL DEFAULT 0,
  exchanged TEXT NOT NULL DEFAULT '{}',
  purge_format TEXT NOT NULL DEFAULT 'zlib'
);
CREATE TABLE IF NOT EXISTS interfaces (
  name TEXT NOT NULL,
  major INTEGER NOT NULL,
  minor INTEGER NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (name, major)
);
CREATE TABLE IF NOT EXISTS datastream_values (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id TEXT NOT NULL,
  interface TEXT NOT NULL,
  major INTEGER NOT NULL,
  path TEXT NOT NULL,
  value_json TEXT NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  reception_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS datastream_by_path
  ON datastream_values (device_id, interface, major, path, timestamp_ms);
CREATE TABLE IF NOT EXISTS properties (
  device_id TEXT NOT NULL,
  interface TEXT NOT NULL,
  major INTEGER NOT NULL,
  path TEXT NOT NULL,
  value_json TEXT NOT NULL,
  reception_ms INTEGER NOT NULL,
  PRIMARY KEY (device_id, interface, major, path)
);
CREATE TABLE IF NOT EXISTS mqtt_subscriptions (
  client_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  qos INTEGER NOT NULL,
  PRIMARY KEY (client_id, topic)
);
CREATE TABLE IF NOT EXISTS mqtt_outgoing (
  seq INTEGER PRIMARY KEY,
  client_id TEXT NOT NULL,
  cmd TEXT NOT NULL,
  topic TEXT,
  payload BLOB,
  qos INTEGER NOT NULL,
  message_id INTEGER,
  broker_id TEXT,
  broker_counter INTEGER
);
CREATE TABLE IF NOT EXISTS mqtt_incoming (
  client_id TEXT NOT NULL,
  message_id INTEGER NOT NULL,
  PRIMARY KEY (client_id, message_id)
);
`

/** Opens (creating if needed) the database file in WAL mode with the sandbox schema. */
export function openDb(file: string): Db {
  const db = openSqlite(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec(SCHEMA)
  return db
}
