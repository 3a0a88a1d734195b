// Types of the vendored RxJS (rxjs.js), from the package it was built from.
export {
  concatMap,
  concatWith,
  defer,
  EMPTY,
  filter,
  firstValueFrom,
  from,
  lastValueFrom,
  map,
  Observable,
  of,
  reduce,
  startWith,
  Subject,
  take,
  takeWhile,
  tap,
  throwError,
  toArray,
} from "npm:rxjs@7.8.2";
export type { OperatorFunction, Subscriber, Subscription } from "npm:rxjs@7.8.2";
