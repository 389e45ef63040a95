import {CoreBindings, LifeCycleObserverRegistry} from '@loopback/core';
import {expect} from '@loopback/testlab';
import {RunningApp, startApp} from '../fixtures/test-app';
import {forSuite} from '../fixtures/for-suite';

describe('The order the application starts and stops its parts in', () => {
  let api: RunningApp;

  forSuite(() => startApp(), started => (api = started));

  it('starts the REST server after the database, purge and reconciler, and the drain after it (a stop runs backwards)', async () => {
    const registry = await api.app.get<LifeCycleObserverRegistry>(CoreBindings.LIFE_CYCLE_OBSERVER_REGISTRY);
    const groups = registry.getObserverGroupsByOrder().map(group => group.group);
    expect(groups.slice(-2)).to.deepEqual(['server', 'drain']);
    expect(groups).to.containDeep(['datasource', 'datasource-schema', 'purge', 'reconcile']);
    const rest = registry.getObserverGroupsByOrder().find(group => group.group === 'server');
    expect(rest?.bindings.map(binding => binding.key)).to.deepEqual(['servers.RestServer']);
  });
});
