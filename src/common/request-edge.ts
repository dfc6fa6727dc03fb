import { NextFunction, Request, RequestHandler, Response } from 'express';
import { inspectInput, InputProblem, secretsInQuery } from './input-guards';
import { problem, sendProblem } from './problem-details';

/**
 * Express middleware of the REST surface that refuses, with a 400 problem, what no route should see:
 * secrets in the URL (they end up in access logs), and query or body strings that are malformed
 * (NUL, lone surrogates) or nested too deeply. Runs before routing, so no DTO, library or database
 * ever meets such input. The op API (`POST /`) applies the same rules in its own field reader.
 */
export function refuseUnsafeQuery(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const query = req.query as Record<string, unknown>;
    const secrets = secretsInQuery(req.path, query);
    if (secrets.length > 0) {
      return sendProblem(
        res,
        problem(
          400,
          'invalid_request',
          'Codes, passwords and tokens must be sent in the body or the Authorization header, never in the URL.',
          secrets.map((name) => `${name} must not be in the URL`),
        ),
      );
    }
    const found = inspectInput(query);
    if (found) return sendProblem(res, inputProblem(found, 'query'));
    next();
  };
}

/**
 * After the JSON parser: a body it did not read (another content type) is refused, a missing one
 * becomes `{}` so that the DTOs report the missing fields; then the parsed body's depth and strings.
 */
export function refuseUnsafeBody(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.body === undefined) {
      if (hasBody(req)) {
        res.setHeader('Connection', 'close');
        return sendProblem(res, problem(415, 'invalid_request', 'The request body must be JSON, sent as Content-Type: application/json.'));
      }
      req.body = {};
    }
    const found = inspectInput(req.body);
    if (found) return sendProblem(res, inputProblem(found, 'body'));
    next();
  };
}

function inputProblem(found: InputProblem, where: 'query' | 'body') {
  if (found.kind === 'too_deep') return problem(400, 'invalid_request', `The request ${where} is nested too deeply.`);
  return problem(400, 'invalid_request', `The request ${where} has an invalid value.`, [`${found.field} ${found.reason}`]);
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}
