import {createResolvedRoute, ResolvedRoute, RouteEntry, Trie, TrieRouter} from '@loopback/rest';

/**
 * LoopBack's TrieRouter without its eager `debug(inspect(route, {depth: 5}))`
 * on every match of a route with path parameters, which costs several
 * percent of CPU even with debug output off (profiled; see the README's Performance).
 * Matching is unchanged.
 */
export class QuietTrieRouter extends TrieRouter {
  protected override findRouteWithPathVars(verb: string, path: string): ResolvedRoute | undefined {
    const trie = (this as unknown as {trie: Trie<RouteEntry>}).trie;
    const found = trie.match(this.getKey(verb, path));
    const route = found?.node.value;
    return route ? createResolvedRoute(route, found.params ?? {}) : undefined;
  }
}
