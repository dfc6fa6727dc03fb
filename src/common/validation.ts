import { Type, ValidationPipe } from '@nestjs/common';
import { ValidationError } from 'class-validator';
import { InvalidRequestError } from './errors';

/**
 * The one validation of request bodies: class-validator DTOs, whitelisted. On the REST surface an
 * unknown field is refused; the op API, whose apps add fields of their own (`dt`, `op`), only
 * drops them (`unknownFields: 'strip'`).
 */
export function createValidationPipe(unknownFields: 'refuse' | 'strip' = 'refuse'): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: unknownFields === 'refuse',
    exceptionFactory: (errors: ValidationError[]) => new InvalidRequestError('The request has invalid fields.', flatten(errors)),
  });
}

const refusing = createValidationPipe('refuse');
const stripping = createValidationPipe('strip');

/** Validates `plain` as the DTO `type` outside a route's parameters (a body whose type is chosen at run time). */
export async function validateInput<T extends object>(type: Type<T>, plain: unknown, unknownFields: 'refuse' | 'strip'): Promise<T> {
  const pipe = unknownFields === 'refuse' ? refusing : stripping;
  return (await pipe.transform(plain ?? {}, { type: 'body', metatype: type })) as T;
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => [
    ...Object.values(error.constraints ?? {}).map((message) => (prefix ? `${prefix}.${message}` : message)),
    ...flatten(error.children ?? [], `${prefix}${error.property}`),
  ]);
}
