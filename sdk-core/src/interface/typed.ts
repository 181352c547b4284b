/**
 * @module typed interfaces: type-level views of a `const` interface literal — valid concrete paths
 * and the value type per path — so `send(Sensors, '/kitchen/temperature', 21.5)` is checked by tsc.
 * Types only; the run-time half is `defineInterface`.
 */
import type { AstarteValue, ValueOf } from '../value/types.js'
import type { Aggregation, AstarteType, Interface, InterfaceType, Ownership } from './model.js'

/** The JSON shape `defineInterface` accepts at the type level (legacy aliases are parse-only). */
export interface InterfaceJsonMapping {
  readonly endpoint: string
  readonly type: AstarteType
  readonly required?: boolean
}

/** Interface JSON as written in a `const` literal; extra keys are allowed, as in Core. */
export interface InterfaceJson {
  readonly interface_name: string
  readonly version_major: number
  readonly version_minor: number
  readonly type: InterfaceType
  readonly ownership: Ownership
  readonly aggregation?: Aggregation
  readonly mappings: readonly InterfaceJsonMapping[]
}

declare const definition: unique symbol

/** A parsed `Interface` that also carries, at the type level only, the literal it came from. */
export interface TypedInterface<J extends InterfaceJson = InterfaceJson> extends Interface {
  readonly [definition]: J
}

type LevelPath<L extends string> = L extends `%{${string}}` ? string : L

/** Concrete path type of an endpoint: `/%{room}/temperature` → `/${string}/temperature`. */
export type EndpointPath<
  E extends string,
  Acc extends string = '',
> = E extends `/${infer L}/${infer Rest}`
  ? EndpointPath<`/${Rest}`, `${Acc}/${LevelPath<L>}`>
  : E extends `/${infer L}`
    ? `${Acc}/${LevelPath<L>}`
    : never

type MappingOf<J extends InterfaceJson> = J['mappings'][number]
type IsObject<J extends InterfaceJson> = J['aggregation'] extends 'object' ? true : false

type MappingAt<M, P extends string> = M extends InterfaceJsonMapping
  ? P extends EndpointPath<M['endpoint']>
    ? M
    : never
  : never

/** Concrete paths of an individual typed interface; `string` for an untyped `Interface`. */
export type InterfacePaths<T extends Interface> =
  T extends TypedInterface<infer J>
    ? IsObject<J> extends true
      ? never
      : EndpointPath<MappingOf<J>['endpoint']>
    : string

/** The value accepted at concrete path `P` of `T`; any Astarte value for an untyped `Interface`. */
export type InterfaceValue<T extends Interface, P extends string> =
  T extends TypedInterface<infer J> ? ValueOf<MappingAt<MappingOf<J>, P>['type']> : AstarteValue

type PrefixOf<E extends string, Acc extends string = ''> = E extends `/${infer L}/${infer Rest}`
  ? PrefixOf<`/${Rest}`, `${Acc}/${L}`>
  : Acc

type LastLevel<E extends string> = E extends `${string}/${infer Rest}` ? LastLevel<Rest> : E

/** Concrete prefix paths of an object typed interface (`/` for legacy depth-1 objects). */
export type ObjectPaths<T extends Interface> =
  T extends TypedInterface<infer J>
    ? IsObject<J> extends true
      ? PrefixOf<MappingOf<J>['endpoint']> extends infer Prefix extends string
        ? Prefix extends ''
          ? '/'
          : EndpointPath<Prefix>
        : never
      : never
    : string

type Simplify<O> = { [K in keyof O]: O[K] }

/** Object value of an object typed interface: last levels as keys, `required` ones mandatory. */
export type ObjectValue<T extends Interface> =
  T extends TypedInterface<infer J>
    ? Simplify<
        {
          readonly [
            M in MappingOf<J> as M['required'] extends true ? LastLevel<M['endpoint']> : never
          ]: ValueOf<M['type']>
        } & {
          readonly [
            M in MappingOf<J> as M['required'] extends true ? never : LastLevel<M['endpoint']>
          ]?: ValueOf<M['type']>
        }
      >
    : Readonly<Record<string, AstarteValue>>

/** `true` for device-owned typed interfaces, `false` for server-owned, `boolean` when untyped. */
export type IsDeviceOwned<T extends Interface> =
  T extends TypedInterface<infer J> ? (J['ownership'] extends 'device' ? true : false) : boolean
