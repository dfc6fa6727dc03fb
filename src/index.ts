/**
 * The service as a library, for a Node process of your own that hosts it the way src/main.ts does:
 * `NestFactory.create(AppModule.register(), { bodyParser: false })`, then `configureApp(app)`.
 * Test suites want `mesibo-private-backend/testing` instead (src/testing).
 */
export { AppModule } from './app.module';
export type { AppOptions } from './app.module';
export { configureApp } from './app.setup';
export { Clock, SystemClock } from './common/clock';
