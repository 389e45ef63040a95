import {Interceptor} from '@loopback/core';
import {OpenApiSpec} from '@loopback/rest';
import {forPeople} from '../authentication/security-schemes.spec-enhancer';

/** The explorer's copy of the spec (the one its page loads), as people should see it. */
export const explorerSpecForPeople: Interceptor = async (_invocationContext, next) => forPeople((await next()) as OpenApiSpec);
