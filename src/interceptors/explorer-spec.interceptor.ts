import {Interceptor} from '@loopback/core';
import {OpenApiSpec} from '@loopback/rest';
import {withoutSpawnerScheme} from '../authentication/bearer-security.spec-enhancer';

/** The explorer's copy of the spec (the one its page loads), as people should see it. */
export const explorerSpecForPeople: Interceptor = async (_invocationContext, next) => withoutSpawnerScheme((await next()) as OpenApiSpec);
