import { INestApplication } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json } from 'body-parser';
import { Application, NextFunction, Request, Response } from 'express';
import { problem, sendProblem } from './common/problem-details';
import { appConfig } from './config';
import { legacyBodyParser } from './legacy/legacy-body.parser';

/**
 * HTTP plumbing shared by `main.ts` and the e2e tests: body parsing per surface, CORS, caching
 * headers and the OpenAPI document. The app must be created with `{ bodyParser: false }`.
 */
export function configureApp(app: INestApplication): void {
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  const express = app.getHttpAdapter().getInstance() as Application;
  express.disable('x-powered-by');
  express.set('trust proxy', config.trustProxy);

  app.enableCors({
    origin: config.corsOrigins === true ? '*' : config.corsOrigins,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'Authorization'],
    maxAge: 600,
    optionsSuccessStatus: 204,
  });

  app.use((_req: Request, res: Response, next: NextFunction) => {
    // Replies carry tokens and codes: no cache may keep them.
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    next();
  });

  const legacy = legacyBodyParser(config.bodyLimit);
  app.use('/', (req: Request, res: Response, next: NextFunction) =>
    req.path === '/' ? legacy(req, res, next) : next(),
  );
  app.use('/v1', json({ limit: config.bodyLimit, strict: true }));
  // Errors of the REST body parser (bad JSON, too large) happen before Nest routes; shape them here.
  app.use('/v1', (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!error) return next();
    const status = (error as { status?: number }).status === 413 ? 413 : 400;
    sendProblem(res, problem(status, 'invalid_request', status === 413 ? 'The request body is too large.' : 'The request body is not valid JSON.'));
  });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('mesibo private backend')
      .setDescription('Log users in by any method, then mint their mesibo user access token.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
}
