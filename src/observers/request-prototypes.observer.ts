import {CoreBindings, inject, lifeCycleObserver, LifeCycleObserver} from '@loopback/core';
import type {RestApplication} from '@loopback/rest';
import {useExpressPrototypes} from '../framework/request-prototypes';
import {DRAIN_OBSERVER_GROUP} from './drain.observer';

/** Once the REST server listens, its requests and responses are created with express's prototypes (see the framework's request-prototypes). */
@lifeCycleObserver(DRAIN_OBSERVER_GROUP)
export class RequestPrototypesObserver implements LifeCycleObserver {
  constructor(@inject(CoreBindings.APPLICATION_INSTANCE) private readonly app: RestApplication) {}

  start(): void {
    useExpressPrototypes(this.app.restServer);
  }
}
