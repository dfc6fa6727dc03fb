import { INestApplication } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { json, urlencoded } from 'body-parser';
import { Application, NextFunction, Request, RequestHandler, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { problem, sendProblem } from './common/problem-details';
import { refuseUnsafeBody, refuseUnsafeQuery } from './common/request-edge';
import { SendOriginGuard } from './common/send-origin.guard';
import { appConfig } from './config';
import { setupApiDocs } from './http/api-docs';
import { applySecurityHeaders } from './http/security-headers';
import { REQUEST_ID_HEADER } from './logging/http-logger';
import { HTTP_LOGGER } from './logging/logging.module';
import { legacyBodyParser } from './legacy/legacy-body.parser';
import { SAML_ACS_PATH } from './methods/saml/saml-routes';

/**
 * HTTP plumbing shared by `main.ts` and the e2e tests: body parsing per surface, CORS, caching
 * headers and the OpenAPI document. The app must be created with `{ bodyParser: false }`.
 */
export function configureApp(app: INestApplication): void {
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  // First: every request gets its id and its log line, also those the body parsers refuse.
  app.use(app.get<RequestHandler>(HTTP_LOGGER));
  app.useLogger(app.get(Logger));
  const express = app.getHttpAdapter().getInstance() as Application;
  express.disable('x-powered-by');
  // An ETag is a SHA-1 of every answer, and none of ours can be revalidated (no-store, POSTs).
  express.disable('etag');
  express.set('trust proxy', config.trustProxy);
  applySecurityHeaders(app);

  app.enableCors({
    origin: config.corsOrigins === true ? '*' : config.corsOrigins,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'Authorization', REQUEST_ID_HEADER],
    exposedHeaders: [REQUEST_ID_HEADER],
    maxAge: 600,
    optionsSuccessStatus: 204,
  });

  // The op API reads its own body and checks its fields (legacy-fields.ts); everything else is REST.
  const legacy = legacyBodyParser(config.bodyLimit);
  const restQuery = refuseUnsafeQuery();
  app.use('/', (req: Request, res: Response, next: NextFunction) =>
    req.path === '/' ? legacy(req, res, next) : restQuery(req, res, next),
  );
  // A SAML identity provider posts its answer as an HTML form (HTTP-POST binding): the one form body of the REST surface.
  app.use(SAML_ACS_PATH, urlencoded({ extended: false, limit: config.bodyLimit, parameterLimit: 10 }));
  app.use('/v1', json({ limit: config.bodyLimit, strict: true }));
  // Errors of the REST body parser (bad JSON, too large) happen before Nest routes; shape them here.
  app.use('/v1', (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!error) return next();
    const status = (error as { status?: number }).status === 413 ? 413 : 400;
    // An unread oversized body is not drained: the connection closes after the answer.
    if (status === 413) res.setHeader('Connection', 'close');
    sendProblem(res, problem(status, 'invalid_request', status === 413 ? 'The request body is too large.' : 'The request body is not valid JSON.'));
  });
  app.use('/v1', refuseUnsafeBody());
  // CORS only hides answers; this stops pages of other origins from making us send codes.
  app.useGlobalGuards(new SendOriginGuard(app.get(Reflector), config));

  setupApiDocs(app, config.apiDocs);
}
